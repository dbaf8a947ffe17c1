"""The `jaxscale` command hands calls to a resident process (`jaxscale_launcher`): the answers, exit codes and
files are those of a call run in its own process, the client imports no JAX, and a stale, busy, stopped or
interrupted resident, or one whose caller died, never answers wrongly nor holds the caller's pipes."""

import contextlib
import fcntl
import importlib
import importlib.metadata
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest

from jaxscale_launcher import _address, _call_context, _client, _freshness, _messages, _resident

LAUNCH = "import sys; from jaxscale_launcher import main; sys.exit(main())"


def _lock_holder(lock: pathlib.Path) -> int | None:
    """The pid in a resident's lock file while some process holds the lock, as `jaxscale resident stop` reads it."""
    return _client.resident_pid(_address.Address(str(lock.parent), lock.name.removesuffix(".resident.lock"), 0.0))


@pytest.fixture
def short(tmp_path):
    """A directory with a short name: a socket's path holds about 100 bytes, and pytest's are long."""
    directory = pathlib.Path(tempfile.mkdtemp(prefix="js-", dir="/tmp"))
    yield directory
    for lock in directory.glob("**/*.resident.lock"):  # a test that failed leaves no resident behind
        pid = _lock_holder(lock)
        if pid is not None:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    shutil.rmtree(directory, ignore_errors=True)


def _environment(directory, **extra):
    """This environment as on a user's machine (no CI variable, no resident settings) with a private resident directory."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("JAXSCALE_RESIDENT") and k != "CI"}
    return base | {"JAXSCALE_RESIDENT_DIR": str(directory / "resident"), "JAXSCALE_RESIDENT_IDLE": "120"} | extra


def _jaxscale(cwd, *argv, env):
    return subprocess.run([sys.executable, "-c", LAUNCH, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _status(cwd, env) -> str:
    return _jaxscale(cwd, "resident", env=env).stdout


def _until(condition, timeout: float, what: str):
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"{what} within {timeout} s")


def _serving(cwd, env) -> str:
    """The resident's status line once it serves; its socket path follows "(socket "."""
    return _until(lambda: (s := _status(cwd, env)).startswith("resident jaxscale process") and s, 120, "no resident served")


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _without_timings(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith("time:")]


def _without_jax_start_up(text: str) -> list[str]:
    """stderr without what JAX may print while it starts (a machine with a GPU but a CPU jaxlib says so): a
    process of its own prints it, the resident printed it once, at its own start (as README says)."""
    return [line for line in text.splitlines() if not re.search(r"GPU|TPU|CUDA|jaxlib|jax\._src|[Pp]latform", line)]


@pytest.fixture
def curve(tmp_path):
    x = np.geomspace(1e3, 1e7, 12)
    (tmp_path / "curve.csv").write_text("x,loss\n" + "\n".join(f"{float(a)!r},{float(1.0 + 20.0 * a ** -0.4)!r}" for a in x))
    return ["fit", "curve.csv", "--law", "power_law"]


def test_the_jaxscale_script_is_the_launcher():
    (script,) = importlib.metadata.entry_points(group="console_scripts", name="jaxscale")
    assert script.value == "jaxscale_launcher:main"


def test_the_launcher_imports_neither_jax_nor_jaxscale():
    probe = "import sys, jaxscale_launcher; print(sorted(m for m in sys.modules if m.split('.')[0] in ('jax', 'jaxscale', 'numpy', 'pandas')))"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip() == "[]"


def test_without_unix_sockets_and_fcntl_there_is_no_resident():
    probe = "import sys; sys.modules['fcntl'] = None; import jaxscale_launcher; from jaxscale_launcher import _address; print(_address.find())"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip() == "None"


def test_a_resident_answers_as_the_call_would_in_its_own_process(tmp_path, short, curve):
    env = _environment(short)
    here = _jaxscale(tmp_path, *curve, "--out", "here.csv", env=env)  # no resident yet: runs here, then starts one
    assert here.returncode == 0, here.stderr
    socket_path = _serving(tmp_path, env).split("(socket ")[1].rstrip(")\n")
    there = _jaxscale(tmp_path, *curve, "--out", "there.csv", env=env)
    assert there.returncode == 0, there.stderr
    assert "1 calls answered" in _status(tmp_path, env)
    assert _without_timings(there.stdout.replace("there.csv", "here.csv")) == _without_timings(here.stdout) and "alpha" in there.stdout
    assert _without_jax_start_up(there.stderr) == _without_jax_start_up(here.stderr)
    assert (tmp_path / "there.csv").read_text() == (tmp_path / "here.csv").read_text()  # written in the caller's directory
    # bad input and usage errors: the same one line on stderr and exit status 2 as in a process of their own
    own = _environment(short, JAXSCALE_RESIDENT="0")
    for argv in (["fit", "missing.csv"], ["fit"]):
        served, alone = _jaxscale(tmp_path, *argv, env=env), _jaxscale(tmp_path, *argv, env=own)
        assert (served.returncode, served.stdout) == (alone.returncode, alone.stdout) and served.returncode == 2
        assert _without_jax_start_up(served.stderr) == _without_jax_start_up(alone.stderr) and served.stderr.strip()
    assert "3 calls answered" in _status(tmp_path, env)
    stopped = _jaxscale(tmp_path, "resident", "stop", env=env)
    assert stopped.stdout.startswith("stopped the resident jaxscale process (pid ")
    pid = int(stopped.stdout.split("pid ")[1].split(")")[0])
    _until(lambda: _gone(pid) and not os.path.exists(socket_path), 20, "the stopped resident did not go")
    assert "no resident jaxscale process is running" in _status(tmp_path, env)


def test_switched_off_every_call_runs_in_its_own_process(tmp_path, short, curve):
    for off in ({"JAXSCALE_RESIDENT": "0"}, {"CI": "true"}):
        env = _environment(short, **off)
        assert _status(tmp_path, env).startswith("no resident jaxscale process: turned off")
    assert _jaxscale(tmp_path, *curve, env=env).returncode == 0
    assert not (short / "resident").exists()
    assert _jaxscale(tmp_path, "resident", "restart", env=env).returncode == 2


def test_an_address_per_environment_in_a_private_directory(short, monkeypatch):
    env = {"JAXSCALE_RESIDENT_DIR": str(short / "r")}
    first = _address.find(env, path=["/a"])
    assert first.directory == str(short / "r") and os.stat(short / "r").st_mode & 0o777 == 0o700
    assert _address.find(env, path=["/a"]) == first
    assert _address.find(env, path=["/b"]).key != first.key  # another import path
    assert _address.find(env | {"XLA_FLAGS": "--xla_force_host_platform_device_count=4"}, path=["/a"]).key != first.key
    assert _address.find(env | {"JAXSCALE_COMPILATION_CACHE": "0"}, path=["/a"]).key != first.key  # read by jaxscale at import
    assert _address.find(env | {"HOME": "/elsewhere"}, path=["/a"]).key != first.key  # where the compilation cache is
    assert _address.find(env | {"TERM": "dumb", "JAXSCALE_RESIDENT_IDLE": "5"}, path=["/a"]).key == first.key  # read by nothing at import
    assert _address.find(env | {"JAXSCALE_RESIDENT": "off"}) is None
    assert _address.find(env | {"CI": "true"}) is None and _address.find(env | {"CI": "true", "JAXSCALE_RESIDENT": "1"}) is not None
    (short / "shared").mkdir(mode=0o755)
    os.chmod(short / "shared", 0o755)
    assert _address.find({"JAXSCALE_RESIDENT_DIR": str(short / "shared")}) is None  # others could enter it
    os.symlink(short / "r", short / "link")
    assert _address.find({"JAXSCALE_RESIDENT_DIR": str(short / "link")}) is None  # a link could be swapped
    monkeypatch.setattr(tempfile, "tempdir", str(short))
    assert _address.find({}).directory == str(short / f"jaxscale-{os.getuid()}")  # no XDG_RUNTIME_DIR: this host's tmp
    assert _address.find({"JAXSCALE_RESIDENT_DIR": str(short / ("d" * 120))}).directory == str(short / f"jaxscale-{os.getuid()}")
    assert _address.idle_seconds({"JAXSCALE_RESIDENT_IDLE": "30"}) == 30.0
    assert _address.idle_seconds({"JAXSCALE_RESIDENT_IDLE": "soon"}) == _address.IDLE_SECONDS


def test_a_changed_module_file_is_noticed(tmp_path, monkeypatch):
    probe = tmp_path / "resident_probe_module.py"
    probe.write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("resident_probe_module")
    try:
        recorded = _freshness.loaded_files()
        assert _freshness.changed(recorded) is None
        stat = probe.stat()
        probe.write_text("VALUE = 2\n")
        os.utime(probe, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # a copy that keeps the time (cp -p) is noticed too
        assert _freshness.changed(recorded) == str(probe)
        (tmp_path / "resident_probe_later.py").write_text("")
        importlib.import_module("resident_probe_later")  # imported by a call: recorded after it
        _freshness.record_new(recorded)
        assert recorded[str(tmp_path / "resident_probe_later.py")] is not None and recorded[str(probe)] != _freshness.loaded_files()[str(probe)]
    finally:
        sys.modules.pop("resident_probe_module")
        sys.modules.pop("resident_probe_later", None)


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


def test_anything_but_a_message_is_no_message_and_its_descriptors_are_closed():
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    read, write = os.pipe()
    with left, right:
        socket.send_fds(left, [_messages.HEADER.pack(5) + b"[1, 2"], [write])
        os.close(write)
        assert _messages.receive(right, max_fds=3) == (None, [])
    with os.fdopen(read) as pipe:
        assert pipe.read() == ""  # EOF: the received copy was closed


def test_a_declined_start_keeps_new_residents_from_starting_for_a_while(short):
    address = _address.find({"JAXSCALE_RESIDENT_DIR": str(short / "r")})
    assert _resident.declined(address) is None
    pathlib.Path(address.declined).write_text("accelerator\nJAX's backend here is gpu")
    assert _resident.declined(address) == "JAX's backend here is gpu"
    pathlib.Path(address.declined).write_text("failed\nImportError: no module")
    os.utime(address.declined, (time.time() - 601, time.time() - 601))
    assert _resident.declined(address) is None  # a failed start is tried again after 10 minutes
    assert _address.asked_for({"JAXSCALE_RESIDENT": "1"}) and not _address.asked_for({})


def _request(tmp_path, argv=("fit",)):
    return {"kind": "call", "argv": list(argv), "cwd": str(tmp_path), "env": {"ONLY_FOR_THIS_CALL": "1"}, "umask": 0o077,
            "encodings": [["utf-8", "strict"]] * 3, "unbuffered": False}


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


def _answer(tmp_path, main, recorded=None, go: bool | None = True):
    """One call through `_resident._answer`, the client's side played here: (going on, replies, state, the
    caller's stdout as read to EOF)."""
    state = {"started": 0.0, "calls": 0, "idle_seconds": 1.0}
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    null = os.open(os.devnull, os.O_RDWR)
    read, write = os.pipe()
    with left, right:
        _messages.send(left, _request(tmp_path), fds=(null, write, null))
        os.close(write)
        if go:
            _messages.send(left, {"go": True})
        elif go is not None:
            left.shutdown(socket.SHUT_WR)  # the client gave up after sending its call
        going = _resident._answer(right, main, {} if recorded is None else recorded, state)
        right.close()  # as the resident does after each call: what it sent, then EOF
        replies = [_messages.receive(left)[0] for _ in range(2)]
    os.close(null)
    with os.fdopen(read) as caller:
        printed = caller.read()
    return going, replies, state, printed


def test_the_resident_reports_each_way_a_call_ends(tmp_path):
    def usage_error(argv):
        raise SystemExit(2)

    def broken(argv):
        raise RuntimeError("a bug")

    def interrupted(argv):
        raise KeyboardInterrupt

    def prints(argv):
        print("answer")
        return 0

    cases = [(prints, 0, True, "answer\n"), (lambda argv: 2, 2, True, ""), (usage_error, 2, True, ""), (broken, 1, True, ""), (interrupted, 130, False, "")]
    for main, code, going, output in cases:
        still, (ready, done), state, printed = _answer(tmp_path, main)
        assert ready["ready"] and done == {"code": code} and still == going and state["calls"] == 1 and printed == output


def test_a_stale_resident_answers_nothing_and_stops(tmp_path):
    (tmp_path / "edited.py").write_text("")
    ran = []
    going, (refused, after), state, printed = _answer(tmp_path, ran.append, recorded={str(tmp_path / "edited.py"): (0, 0, 0, 0)}, go=None)
    assert not going and not refused["ready"] and "edited.py changed" in refused["why"] and after is None
    assert ran == [] and state["calls"] == 0 and printed == ""  # and the caller's pipe is not held


def test_a_call_the_client_gave_up_on_is_not_run(tmp_path):
    ran = []
    going, (ready, after), state, printed = _answer(tmp_path, ran.append, go=False)
    assert going and ready["ready"] and after is None and ran == [] and state["calls"] == 0 and printed == ""


@pytest.mark.slow  # calls in their own processes and residents started and stopped (~90 s)
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads process states from /proc (Linux)")
def test_a_busy_stopped_interrupted_or_orphaned_resident_never_answers_wrongly(tmp_path, short, curve):
    env = _environment(short)
    assert _jaxscale(tmp_path, *curve, env=env).returncode == 0
    socket_path = _serving(tmp_path, env).split("(socket ")[1].rstrip(")\n")
    key = socket_path.removesuffix(".sock")
    with open(key + ".call.lock", "a") as lock:  # another call in flight: this one runs in its own process
        fcntl.flock(lock, fcntl.LOCK_EX)
        busy = _jaxscale(tmp_path, *curve, env=env)
    assert busy.returncode == 0 and "alpha" in busy.stdout and "0 calls answered" in _status(tmp_path, env)

    # Ctrl-Z suspends the resident with its caller, and fg resumes both
    state = lambda pid: pathlib.Path(f"/proc/{pid}/stat").read_text().split()[2]
    resident = _lock_holder(pathlib.Path(key + ".resident.lock"))
    client = subprocess.Popen([sys.executable, "-c", LAUNCH, "infer", "chinchilla", "--samples", "2000"], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert client.stdout.readline().startswith("Sampling the posterior")
    client.send_signal(signal.SIGTSTP)
    _until(lambda: state(client.pid) == "T" and state(resident) == "T", 10, "Ctrl-Z did not suspend both")
    client.send_signal(signal.SIGCONT)
    _until(lambda: state(resident) != "T", 10, "fg did not resume the resident")
    out, err = client.communicate(timeout=300)
    assert client.returncode == 0 and "divergences" in out, err

    # one Ctrl-C, passed on: the call ends with "interrupted" and 130, and the resident stops
    client = subprocess.Popen([sys.executable, "-c", LAUNCH, "infer", "chinchilla", "--samples", "20000"], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert client.stdout.readline().startswith("Sampling the posterior")  # the resident has started on the call
    client.send_signal(signal.SIGINT)
    out, err = client.communicate(timeout=120)
    assert client.returncode == 130 and "jaxscale: interrupted" in err, (out, err)
    _until(lambda: "no resident jaxscale process is running" in _status(tmp_path, env), 30, "the interrupted resident did not stop")

    # a caller killed outright: the resident lets go of its pipes at once (the reader sees EOF) and stops
    assert _jaxscale(tmp_path, *curve, env=env).returncode == 0
    _serving(tmp_path, env)
    client = subprocess.Popen([sys.executable, "-c", LAUNCH, "infer", "chinchilla", "--samples", "20000"], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert client.stdout.readline().startswith(b"Sampling the posterior")
    resident = _lock_holder(pathlib.Path(key + ".resident.lock"))
    client.kill()
    began = time.monotonic()
    client.communicate(timeout=60)
    assert time.monotonic() - began < 10
    _until(lambda: _gone(resident), 120, "the orphaned resident did not stop")

    # stopped while it starts: `stop` finds it by its lock, and no resident comes up
    assert _jaxscale(tmp_path, *curve, env=env).returncode == 0
    starting = _until(lambda: _lock_holder(pathlib.Path(key + ".resident.lock")), 60, "no resident started")
    assert _jaxscale(tmp_path, "resident", "stop", env=env).stdout == f"stopped the resident jaxscale process (pid {starting})\n"
    _until(lambda: _gone(starting), 60, "the starting resident did not stop")
    assert not os.path.exists(socket_path) and "no resident jaxscale process is running" in _status(tmp_path, env)
