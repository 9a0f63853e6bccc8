"""scripts/check_docs run on small scratch checkouts: it accepts good links and reports
each broken file link, anchor and README start, with the file and line."""

import os
import subprocess
import sys
import tempfile
import unittest

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHECK_DOCS = os.path.join(SOURCE_DIR, "scripts", "check_docs")

GOOD_README = """# project

```sh
scripts/quickstart   # try it
scripts/test         # test it
```

See [the YAML](docs/yaml.md#all-keys-annotated), [C++](docs/sdk.md#c), the
[examples](examples/) and [the web](https://example.org/missing).
"""

GOOD_YAML = """# YAML

## All keys, annotated

Back to the [README](../README.md), [Search space](#search-space),
[again](#search-space-1), `[not a link](nowhere.md)`.

## Search space

## Search space

```
[inside a code block](nowhere.md)
```
<!-- [inside a comment](nowhere.md) -->
"""

GOOD_SDK = """# SDKs

## C++

![figure](../bench/plot.png)
"""


class CheckDocsTest(unittest.TestCase):
    def make_checkout(self, readme=GOOD_README, yaml=GOOD_YAML, sdk=GOOD_SDK):
        root = tempfile.mkdtemp(prefix="check_docs_")
        self.addCleanup(subprocess.run, ["rm", "-rf", root])
        for folder in ("docs", "examples", "bench"):
            os.mkdir(os.path.join(root, folder))
        files = {"README.md": readme, "docs/yaml.md": yaml, "docs/sdk.md": sdk,
                 "bench/plot.png": ""}
        for name, text in files.items():
            with open(os.path.join(root, name), "w", encoding="utf-8") as f:
                f.write(text)
        return root

    def run_check(self, root):
        return subprocess.run([sys.executable, CHECK_DOCS, "--root", root],
                              capture_output=True, text=True, check=False)

    def test_accepts_files_folders_anchors_and_external_links(self):
        result = self.run_check(self.make_checkout())
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(result.stdout, "")

    def test_reports_a_missing_file_with_its_line(self):
        readme = GOOD_README + "\nAnd [gone](docs/gone.md).\n"
        result = self.run_check(self.make_checkout(readme=readme))
        self.assertEqual(result.returncode, 1)
        self.assertIn("README.md:11: link 'docs/gone.md': no such file or folder: docs/gone.md",
                      result.stdout)

    def test_reports_an_anchor_that_no_heading_makes(self):
        yaml = GOOD_YAML + "\nSee [keys](#all-keys) and [sdk](sdk.md#python).\n"
        result = self.run_check(self.make_checkout(yaml=yaml))
        self.assertEqual(result.returncode, 1)
        self.assertIn("docs/yaml.md:17: link '#all-keys': no heading with anchor #all-keys in "
                      "docs/yaml.md", result.stdout)
        self.assertIn("link 'sdk.md#python': no heading with anchor #python in docs/sdk.md",
                      result.stdout)

    def test_reports_links_outside_the_checkout_and_absolute_paths(self):
        sdk = GOOD_SDK + "\n[up](../../etc/passwd) [abs](/docs/yaml.md)\n"
        result = self.run_check(self.make_checkout(sdk=sdk))
        self.assertIn("link '../../etc/passwd': points outside the checkout", result.stdout)
        self.assertIn("link '/docs/yaml.md': absolute path", result.stdout)

    def test_reports_a_readme_whose_first_block_lacks_the_two_commands(self):
        readme = GOOD_README.replace("scripts/test         # test it\n", "")
        result = self.run_check(self.make_checkout(readme=readme))
        self.assertEqual(result.returncode, 1)
        self.assertIn("the first code block must give 'scripts/test'", result.stdout)

    def test_reports_a_readme_whose_first_block_is_far_down(self):
        readme = "# project\n" + "text\n" * 20 + GOOD_README
        result = self.run_check(self.make_checkout(readme=readme))
        self.assertEqual(result.returncode, 1)
        self.assertIn("must open within the first 10 lines", result.stdout)


if __name__ == "__main__":
    unittest.main()
