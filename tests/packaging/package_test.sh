#!/usr/bin/env bash
# The Debian package as a user gets it: cpack builds hone_<version>_<arch>.deb from the
# build tree, the package is extracted into a scratch root, and from there `hone --help`
# runs, a C++ tuner plugin builds with find_package(hone), and Python runs experiments
# through hone.Experiment with that plugin. Usage: package_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
source=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== cpack (component hone) into $work/pkg"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/pkg" -D CPACK_COMPONENTS_ALL=hone >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail "cpack failed"; }
debs=("$work"/pkg/hone_*.deb)
[[ ${#debs[@]} -eq 1 && -f ${debs[0]} ]] || { ls -R "$work/pkg"; fail "expected one hone_*.deb"; }
deb=${debs[0]}

echo "== control fields of $(basename "$deb")"
control=$(dpkg-deb -f "$deb")
echo "$control" | grep -E '^(Package|Version|Depends):'
[[ $(dpkg-deb -f "$deb" Package) == hone ]] || fail "package name"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libsqlite3-0 libyaml-cpp0.7 libstdc++6; do
  [[ $depends == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done
[[ $depends != *libtorch* ]] || fail "the hone package must not depend on libtorch: $depends"

echo "== extract into $work/root"
dpkg-deb -x "$deb" "$work/root"
root=$work/root
for f in usr/bin/hone usr/include/hone/trial.h usr/include/hone/plugin.h \
         usr/lib/cmake/hone/honeConfig.cmake usr/lib/python3/dist-packages/hone/experiment.py \
         usr/lib/python3/dist-packages/nni/__init__.py usr/share/hone/python/hone/trial.py; do
  [[ -e $root/$f ]] || fail "missing $f"
done
if find "$root" -name __pycache__ | grep -q .; then fail "__pycache__ packaged"; fi
"$root/usr/bin/hone" --help >"$work/help.txt" || fail "hone --help exited $?"
grep -q "run" "$work/help.txt" || fail "hone --help printed no subcommands"

echo "== a C++ plugin through find_package(hone)"
cmake -S "$source/tests/packaging/plugin" -B "$work/plugin" -G Ninja \
      -DCMAKE_PREFIX_PATH="$root/usr" -DCMAKE_BUILD_TYPE=Release >"$work/plugin.log" 2>&1 ||
  { cat "$work/plugin.log"; fail "configuring the plugin failed"; }
cmake --build "$work/plugin" >>"$work/plugin.log" 2>&1 || { cat "$work/plugin.log"; fail "building the plugin failed"; }
plugin=$work/plugin/libladder.so
[[ -f $plugin ]] || fail "no $plugin"
[[ $(cat "$work/plugin/hone_executable.txt") == "$root/usr/bin/hone" ]] || fail "HONE_EXECUTABLE is $(cat "$work/plugin/hone_executable.txt")"
exported=$(nm -D --defined-only "$plugin" | awk '{print $3}' | grep -c '^hone_plugin_' || true)
[[ $exported -eq 3 ]] || fail "the plugin exports $exported hone_plugin_* symbols, not 3"
if nm -D --defined-only "$plugin" | grep -q Handle; then fail "hone_add_plugin left internal symbols visible"; fi

echo "== hone.Experiment from the package (hone not on PATH)"
mkdir -p "$work/run"
env -u HONE_HOME PATH=/usr/bin:/bin PYTHONPATH="$root/usr/lib/python3/dist-packages" \
  python3 "$source/tests/packaging/launch_experiment.py" "$root" "$plugin" "$work/run"
echo "package test passed"
