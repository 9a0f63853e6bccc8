"""The daemons bench/platforms starts for itself, each under its own private directory
on 127.0.0.1 and free ports, and stopped by the pids it recorded: an OpenSSH server (the
recipe of ../../shared/testenv/README.md, as tests/platforms/remote/sshd_fixture.h) and
a single-node Slurm (tests/platforms/slurm/slurm_cluster.sh, reused as it is).
Nothing here looks up or stops a process by its name."""

import os
import pwd
import signal
import socket
import subprocess
import time

SSHD = "/usr/sbin/sshd"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid):
    """The pids whose parent is `pid` (from /proc)."""
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The parent pid is the second field after the parenthesised command name.
        if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
            kids.append(int(entry))
    return kids


def alive(pid):
    """False once `pid` has exited, also while it waits as a zombie for its reaper."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def wait_gone(pid, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not alive(pid):
            return True
        time.sleep(0.02)
    return False


class Sshd:
    """An sshd on 127.0.0.1:<free port> with its own host key and a client key for the
    current user, under `parent`/sshd."""

    def __init__(self, parent):
        self.dir = os.path.join(parent, "sshd")
        self.port = free_port()
        self.user = pwd.getpwuid(os.getuid()).pw_name
        self.pid = 0

    @property
    def key(self):
        return os.path.join(self.dir, "id_ed25519")

    @property
    def known_hosts(self):
        return os.path.join(self.dir, "known_hosts")

    def ssh_base(self):
        """The ssh options hone itself passes (ssh_host.cc) and this server needs, up to
        the multiplexing ones."""
        return ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
                "-p", str(self.port), "-i", self.key, "-o", "IdentitiesOnly=yes", "-l", self.user,
                "-o", "StrictHostKeyChecking=no", "-o", f"UserKnownHostsFile={self.known_hosts}"]

    def start(self):
        if not os.access(SSHD, os.X_OK):
            raise RuntimeError(f"{SSHD} is missing: scripts/setup installs openssh-server")
        os.makedirs(self.dir, mode=0o700)
        d = self.dir
        with open(os.path.join(d, "sshd_config"), "w") as f:
            f.write(f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {d}/ssh_host_ed25519_key\n"
                    f"PidFile {d}/sshd.pid\nPermitRootLogin prohibit-password\nPubkeyAuthentication yes\n"
                    f"AuthorizedKeysFile {d}/authorized_keys\nPasswordAuthentication no\n"
                    "KbdInteractiveAuthentication no\nUsePAM no\nX11Forwarding no\nPrintMotd no\n"
                    "MaxStartups 50:30:100\nMaxSessions 50\nStrictModes no\n")
        for path in (f"{d}/ssh_host_ed25519_key", self.key):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path], check=True)
        with open(self.key + ".pub") as src, open(f"{d}/authorized_keys", "w") as dst:
            dst.write(src.read())
        os.chmod(f"{d}/authorized_keys", 0o600)
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd refuses to start without it
        subprocess.run([SSHD, "-f", f"{d}/sshd_config", "-E", f"{d}/sshd.log"], check=True)
        for _ in range(200):
            try:
                with open(f"{d}/sshd.pid") as f:
                    self.pid = int(f.read().strip() or 0)
            except OSError:
                pass
            if self.pid:
                break
            time.sleep(0.01)
        if not self.pid:
            raise RuntimeError(f"sshd wrote no pid file: {self.log()}")
        for _ in range(50):
            if subprocess.run(self.ssh_base() + ["127.0.0.1", "true"], stdin=subprocess.DEVNULL,
                              capture_output=True).returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"ssh to the benchmark's sshd failed: {self.log()}")

    def log(self):
        try:
            with open(os.path.join(self.dir, "sshd.log")) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def stop(self):
        """Ends this server's connections (its children: one sshd per client connection,
        which also ends any ControlMaster still connected) and then the server."""
        if not self.pid:
            return
        for kid in children_of(self.pid):
            try:
                os.kill(kid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        if not wait_gone(self.pid, 2):
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.pid = 0


class SlurmCluster:
    """munged, slurmctld and slurmd under `parent`/slurm, through the tests' script."""

    def __init__(self, parent, root):
        self.dir = os.path.join(parent, "slurm")
        self.script = os.path.join(root, "tests", "platforms", "slurm", "slurm_cluster.sh")
        self.conf = None
        self.cpus = 0

    def env(self):
        return dict(os.environ, SLURM_CONF=self.conf,
                    PATH=os.environ.get("PATH", "/usr/bin:/bin") + ":/usr/sbin")

    def start(self):
        os.makedirs(self.dir)
        self.conf = os.path.join(self.dir, "slurm", "slurm.conf")  # for stop(), also after a failed start
        out = subprocess.run([self.script, "start", self.dir], capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise RuntimeError(f"the Slurm cluster did not start (scripts/setup installs slurm-wlm and munge):\n"
                               f"{out.stderr}")
        self.conf = out.stdout.splitlines()[0]
        info = subprocess.run(["sinfo", "-h", "-o", "%c"], env=self.env(), capture_output=True, text=True)
        self.cpus = int(info.stdout.split()[0]) if info.returncode == 0 and info.stdout.split() else 0

    def stop(self):
        """The script stops exactly what `start` started: scontrol shutdown and the pid
        files under this directory."""
        if self.conf and os.path.exists(self.conf):
            subprocess.run([self.script, "stop", self.dir], capture_output=True, timeout=60)
        self.conf = None
