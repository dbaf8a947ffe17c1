"""The `jaxscale` command hands calls to a resident process (`jaxscale_launcher`): the answers, exit codes and
files are those of a call run in its own process, the client imports no JAX, and a stale, busy or
interrupted resident never answers wrongly."""

import contextlib
import fcntl
import importlib
import importlib.metadata
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest

from jaxscale_launcher import _address, _call_context, _freshness, _messages, _resident

LAUNCH = "import sys; from jaxscale_launcher import main; sys.exit(main())"


@pytest.fixture
def short(tmp_path):
    """A directory with a short name: a socket's path holds about 100 bytes, and pytest's are long."""
    directory = tempfile.mkdtemp(prefix="js-", dir="/tmp")
    yield pathlib.Path(directory)
    for pid_file in pathlib.Path(directory).glob("resident/*.pid"):  # a test that failed leaves no resident behind
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
    shutil.rmtree(directory, ignore_errors=True)


def _environment(directory, **extra):
    base = {k: v for k, v in os.environ.items() if not k.startswith("JAXSCALE_RESIDENT")}
    return base | {"JAXSCALE_RESIDENT_DIR": str(directory / "resident"), "JAXSCALE_RESIDENT_IDLE": "120"} | extra


def _jaxscale(tmp_path, *argv, env):
    return subprocess.run([sys.executable, "-c", LAUNCH, *argv], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def _status(tmp_path, env) -> str:
    return _jaxscale(tmp_path, "resident", env=env).stdout


def _wait_for_resident(tmp_path, env, timeout=120.0) -> str:
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        status = _status(tmp_path, env)
        if status.startswith("resident jaxscale process"):
            return status
        time.sleep(0.5)
    raise AssertionError(f"no resident started within {timeout} s: {status}")


def _without_timings(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith("time:")]


@pytest.fixture
def curve(tmp_path):
    x = np.geomspace(1e3, 1e7, 12)
    (tmp_path / "curve.csv").write_text("x,loss\n" + "\n".join(f"{float(a)!r},{float(1.0 + 20.0 * a ** -0.4)!r}" for a in x))
    return ["fit", "curve.csv", "--law", "power_law"]


def test_the_launcher_imports_neither_jax_nor_jaxscale():
    probe = "import sys, jaxscale_launcher; print(sorted(m for m in sys.modules if m.split('.')[0] in ('jax', 'jaxscale', 'numpy', 'pandas')))"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip() == "[]"


def test_a_resident_answers_as_the_call_would_in_its_own_process(tmp_path, short, curve):
    env = _environment(short)
    here = _jaxscale(tmp_path, *curve, "--out", "here.csv", env=env)  # no resident yet: runs here, then starts one
    assert here.returncode == 0, here.stderr
    socket_path = _wait_for_resident(tmp_path, env).split("(socket ")[1].rstrip(")\n")
    there = _jaxscale(tmp_path, *curve, "--out", "there.csv", env=env)
    assert there.returncode == 0, there.stderr
    assert "1 calls answered" in _status(tmp_path, env)
    assert _without_timings(there.stdout.replace("there.csv", "here.csv")) == _without_timings(here.stdout) and "alpha" in there.stdout
    assert (tmp_path / "there.csv").read_text() == (tmp_path / "here.csv").read_text()  # written in the caller's directory
    # bad input and usage errors: the same one line and exit status 2
    missing = _jaxscale(tmp_path, "fit", "missing.csv", env=env)
    assert missing.returncode == 2 and missing.stderr.startswith("jaxscale: error: 'missing.csv' is neither a file") and missing.stdout == ""
    usage = _jaxscale(tmp_path, "fit", env=env)
    assert usage.returncode == 2 and "the following arguments are required: data" in usage.stderr
    assert "3 calls answered" in _status(tmp_path, env)
    stopped = _jaxscale(tmp_path, "resident", "stop", env=env)
    assert stopped.stdout.startswith("stopped the resident jaxscale process (pid ")
    pid = int(stopped.stdout.split("pid ")[1].split(")")[0])
    for _ in range(100):
        if not os.path.exists(socket_path):
            break
        time.sleep(0.1)
    assert "no resident jaxscale process is running" in _status(tmp_path, env)
    with pytest.raises(ProcessLookupError):
        for _ in range(100):
            os.kill(pid, 0)
            time.sleep(0.1)


def test_switched_off_every_call_runs_in_its_own_process(tmp_path, short, curve):
    env = _environment(short, JAXSCALE_RESIDENT="0")
    assert _jaxscale(tmp_path, *curve, env=env).returncode == 0
    assert _status(tmp_path, env).startswith("no resident jaxscale process: turned off")
    assert not (short / "resident").exists()
    assert _jaxscale(tmp_path, "resident", "restart", env=env).returncode == 2


def test_an_address_per_environment_in_a_private_directory(tmp_path, short):
    env = {"JAXSCALE_RESIDENT_DIR": str(short / "r")}
    first = _address.find(env, path=["/a"])
    assert first.directory == str(short / "r") and os.stat(short / "r").st_mode & 0o777 == 0o700
    assert _address.find(env, path=["/a"]) == first
    assert _address.find(env, path=["/b"]).key != first.key  # another import path
    assert _address.find(env | {"XLA_FLAGS": "--xla_force_host_platform_device_count=4"}, path=["/a"]).key != first.key
    assert _address.find(env | {"JAXSCALE_COMPILATION_CACHE": "0"}, path=["/a"]).key != first.key  # read by jaxscale at import
    assert _address.find(env | {"TERM": "dumb"}, path=["/a"]).key == first.key  # read by nothing at import
    assert _address.find(env | {"JAXSCALE_RESIDENT": "off"}) is None
    (short / "shared").mkdir(mode=0o755)
    os.chmod(short / "shared", 0o755)
    assert _address.find({"JAXSCALE_RESIDENT_DIR": str(short / "shared")}) is None  # others could enter it
    long = tmp_path / ("d" * 120)
    assert _address.find({"JAXSCALE_RESIDENT_DIR": str(long)}).directory == os.path.join(tempfile.gettempdir(), f"jaxscale-{os.getuid()}")
    assert _address.idle_seconds({"JAXSCALE_RESIDENT_IDLE": "30"}) == 30.0
    assert _address.idle_seconds({"JAXSCALE_RESIDENT_IDLE": "soon"}) == _address.IDLE_SECONDS


def test_a_changed_module_file_is_noticed(tmp_path, monkeypatch):
    (tmp_path / "resident_probe_module.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("resident_probe_module")
    try:
        recorded = _freshness.loaded_files()
        assert _freshness.changed(recorded) is None
        os.utime(tmp_path / "resident_probe_module.py", ns=(0, 0))
        assert _freshness.changed(recorded) == str(tmp_path / "resident_probe_module.py")
    finally:
        sys.modules.pop("resident_probe_module")


def test_messages_carry_descriptors():
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    read, write = os.pipe()
    with left, right:
        _messages.send(left, {"argv": ["fit", "x" * 100_000]}, fds=(write,))
        message, fds = _messages.receive(right, max_fds=3)
        assert message == {"argv": ["fit", "x" * 100_000]} and len(fds) == 1
        os.write(fds[0], b"through")
        assert os.read(read, 7) == b"through"
        for fd in (read, write, *fds):
            os.close(fd)
        left.close()
        assert _messages.receive(right) == (None, [])


def _request(tmp_path, argv=("fit",)):
    return {"kind": "call", "argv": list(argv), "cwd": str(tmp_path), "env": {"ONLY_FOR_THIS_CALL": "1"}, "umask": 0o077,
            "encodings": [["utf-8", "strict"]] * 3}


def test_a_call_borrows_the_callers_streams_directory_and_environment(tmp_path):
    read, write = os.pipe()
    null = os.open(os.devnull, os.O_RDWR)
    before = os.getcwd(), dict(os.environ), sys.stdout
    with _call_context.borrowed(_request(tmp_path, ["x"]), [os.dup(null), write, os.dup(null)]):
        print("to the caller")
        assert os.getcwd() == str(tmp_path) and os.environ == {"ONLY_FOR_THIS_CALL": "1"} and sys.argv == ["jaxscale", "x"]
    assert (os.getcwd(), dict(os.environ), sys.stdout) == before
    os.close(null)
    with os.fdopen(read) as caller:
        assert caller.read() == "to the caller\n"  # EOF: the resident kept no copy of the caller's pipe


def _answer(tmp_path, main, recorded=None):
    state = {"started": 0.0, "calls": 0, "idle_seconds": 1.0}
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    null = os.open(os.devnull, os.O_RDWR)
    with left, right:
        _messages.send(left, _request(tmp_path), fds=(null, null, null))
        going = _resident._answer(right, main, {} if recorded is None else recorded, state)
        right.close()  # as the resident does after each call: what it sent, then EOF
        replies = [_messages.receive(left)[0] for _ in range(2)]
    os.close(null)
    return going, replies, state


def test_the_resident_reports_each_way_a_call_ends(tmp_path):
    def usage_error(argv):
        raise SystemExit(2)

    def broken(argv):
        raise RuntimeError("a bug")

    def interrupted(argv):
        raise KeyboardInterrupt

    for main, code, going in [(lambda argv: 0, 0, True), (lambda argv: 2, 2, True), (usage_error, 2, True), (broken, 1, True), (interrupted, 130, False)]:
        still, (accepted, done), state = _answer(tmp_path, main)
        assert accepted["accepted"] and done == {"code": code} and still == going and state["calls"] == 1


def test_a_stale_resident_answers_nothing_and_stops(tmp_path):
    (tmp_path / "edited.py").write_text("")
    ran = []
    going, (refused, after), state = _answer(tmp_path, ran.append, recorded={str(tmp_path / "edited.py"): (0, 0)})
    assert not going and not refused["accepted"] and "edited.py changed" in refused["why"] and after is None
    assert ran == [] and state["calls"] == 0


@pytest.mark.slow  # two calls in their own processes and a resident (~20 s)
def test_a_busy_or_interrupted_resident_never_answers_wrongly(tmp_path, short, curve):
    env = _environment(short)
    assert _jaxscale(tmp_path, *curve, env=env).returncode == 0
    socket_path = _wait_for_resident(tmp_path, env).split("(socket ")[1].rstrip(")\n")
    with open(socket_path.removesuffix(".sock") + ".call.lock", "a") as lock:  # another call in flight: this one runs in its own process
        fcntl.flock(lock, fcntl.LOCK_EX)
        busy = _jaxscale(tmp_path, *curve, env=env)
    assert busy.returncode == 0 and "alpha" in busy.stdout and "0 calls answered" in _status(tmp_path, env)
    client = subprocess.Popen([sys.executable, "-c", LAUNCH, "infer", "chinchilla", "--samples", "100000"], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)
    client.send_signal(signal.SIGINT)  # passed on to the resident; inside a long XLA call it waits for the call
    try:
        out, err = client.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        client.send_signal(signal.SIGINT)  # a second Ctrl-C stops the resident outright
        out, err = client.communicate(timeout=60)
    assert client.returncode == 130 and "jaxscale: interrupted" in err, (out, err)
    for _ in range(100):
        if "no resident" in _status(tmp_path, env):
            break
        time.sleep(0.2)
    assert "no resident jaxscale process is running" in _status(tmp_path, env)  # an interrupted resident stops


def test_the_jaxscale_script_is_the_launcher():
    (script,) = importlib.metadata.entry_points(group="console_scripts", name="jaxscale")
    assert script.value == "jaxscale_launcher:main"
