"""The embedded default: a Neo4j Community server the app resolves, starts and stops itself.

The jars come from Maven Central through the pom beside this module and are
cached per version (``<cache_dir>/neo4j-<version>/lib``), so only the first
start downloads. The server's home, configuration and data live under the data
folder (``<data_dir>/neo4j``) and survive restarts. A pid file and a port file
there let every command find the one server that owns that data: starting twice
reuses it, and a pid file left by a crash is recovered.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import neo4j
from neo4j.exceptions import Neo4jError, ServiceUnavailable

logger = logging.getLogger(__name__)

POM = Path(__file__).resolve().parent / "neo4j" / "pom.xml"
MAIN_CLASS = "org.neo4j.server.CommunityEntryPoint"
JVM_FLAGS = (
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Dlog4j2.disable.jmx=true",
)
LOG4J_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="ERROR">
  <Appenders>
    <RollingRandomAccessFile name="Log" fileName="{path}" filePattern="{path}.%02i">
      <PatternLayout pattern="%d{{yyyy-MM-dd HH:mm:ss.SSSZ}}{{GMT+0}} %-5p [%c{{1.}}] %m%n"/>
      <Policies><SizeBasedTriggeringPolicy size="20 MB"/></Policies>
      <DefaultRolloverStrategy fileIndex="min" max="3"/>
    </RollingRandomAccessFile>
  </Appenders>
  <Loggers><Root level="INFO"><AppenderRef ref="Log"/></Root></Loggers>
</Configuration>
"""
_ERROR_LINE = re.compile(r"\b(ERROR|Exception|Error:|Caused by)\b")


class EmbeddedError(RuntimeError):
    """The embedded Neo4j cannot be obtained, started or stopped; the message says why."""


@dataclass(frozen=True)
class Status:
    running: bool
    pid: int | None
    uri: str | None


class EmbeddedNeo4j:
    """One Neo4j server owning ``<data_dir>/neo4j``."""

    def __init__(
        self,
        data_dir: Path,
        cache_dir: Path,
        version: str,
        *,
        heap: str = "512m",
        pagecache: str = "64m",
        port: int | None = None,
        start_timeout_s: float = 120.0,
    ) -> None:
        self.home = data_dir.resolve() / "neo4j"
        self.lib_dir = cache_dir.expanduser().resolve() / f"neo4j-{version}" / "lib"
        self.version = version
        self.heap = heap
        self.pagecache = pagecache
        self.port = port
        self.start_timeout_s = start_timeout_s

    # -- files -----------------------------------------------------------------

    @property
    def _pid_file(self) -> Path:
        return self.home / "run" / "costgraph-neo4j.pid"

    @property
    def _port_file(self) -> Path:
        return self.home / "bolt.port"

    @property
    def console_log(self) -> Path:
        return self.home / "logs" / "console.log"

    @property
    def neo4j_log(self) -> Path:
        return self.home / "logs" / "neo4j.log"

    def uri_for(self, port: int) -> str:
        return f"bolt://127.0.0.1:{port}"

    # -- jars ------------------------------------------------------------------

    def ensure_jars(self) -> Path:
        """Resolve the server jars into the cache once; later calls reuse them."""
        marker = self.lib_dir / ".complete"
        if marker.exists():
            return self.lib_dir
        mvn = shutil.which("mvn")
        if mvn is None:
            raise EmbeddedError(
                "Maven (mvn) is not installed; it fetches Neo4j for the embedded default "
                "(install it, e.g. `apt-get install maven`, or set NEO4J_URI)"
            )
        staging = self.lib_dir.with_name(f"lib.partial-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        logger.info("resolving Neo4j %s jars into %s", self.version, self.lib_dir)
        command = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={staging}",
            f"-Dneo4j.version={self.version}",
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0 or not any(staging.glob("neo4j-kernel-*.jar")):
            tail = (result.stdout + result.stderr).strip().splitlines()[-5:]
            shutil.rmtree(staging, ignore_errors=True)
            raise EmbeddedError(
                f"Maven could not resolve Neo4j {self.version}: " + " | ".join(tail)
            )
        shutil.rmtree(self.lib_dir, ignore_errors=True)
        staging.rename(self.lib_dir)
        marker.write_text(self.version + "\n")
        return self.lib_dir

    # -- configuration ---------------------------------------------------------

    def _write_config(self, port: int) -> Path:
        conf = self.home / "conf"
        conf.mkdir(parents=True, exist_ok=True)
        for sub in ("data", "logs", "run", "import", "plugins", "transactions"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        (conf / "server-logs.xml").write_text(LOG4J_XML.format(path=self.neo4j_log))
        (conf / "user-logs.xml").write_text(LOG4J_XML.format(path=self.home / "logs" / "query.log"))
        lines = {
            "server.directories.data": self.home / "data",
            "server.directories.logs": self.home / "logs",
            "server.directories.run": self.home / "run",
            "server.directories.import": self.home / "import",
            "server.directories.plugins": self.home / "plugins",
            "server.directories.transaction.logs.root": self.home / "transactions",
            "server.default_listen_address": "127.0.0.1",
            "server.bolt.enabled": "true",
            "server.bolt.listen_address": f"127.0.0.1:{port}",
            "server.bolt.advertised_address": f"127.0.0.1:{port}",
            "server.http.enabled": "false",
            "server.https.enabled": "false",
            "server.memory.pagecache.size": self.pagecache,
            "dbms.usage_report.enabled": "false",
            "dbms.security.auth_enabled": "false",
            "server.logs.config": conf / "server-logs.xml",
            "server.logs.user.config": conf / "user-logs.xml",
        }
        text = "".join(f"{key}={value}\n" for key, value in lines.items())
        (conf / "neo4j.conf").write_text(text)
        return conf

    # -- process ---------------------------------------------------------------

    def _read_pid(self) -> int | None:
        try:
            return int(self._pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def _owns(self, pid: int) -> bool:
        """Whether ``pid`` is a live Neo4j serving this home (not a reused pid)."""
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return False
        home_arg = f"--home-dir={self.home}".encode()
        return MAIN_CLASS.encode() in cmdline and home_arg in cmdline

    def status(self) -> Status:
        pid = self._read_pid()
        if pid is None or not self._owns(pid):
            return Status(False, None, None)
        try:
            port = int(self._port_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return Status(True, pid, None)
        return Status(True, pid, self.uri_for(port))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.home / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _choose_port(self) -> int:
        if self.port:
            return self.port
        try:
            previous = int(self._port_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            previous = 0
        if previous and _port_free(previous):
            return previous
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    def start(self) -> tuple[str, bool]:
        """Start the server, or find the one already running; returns (uri, started_here)."""
        with self._locked():
            current = self.status()
            if current.running and current.uri:
                wait_for_bolt(current.uri, self.start_timeout_s)
                return current.uri, False
            if self._read_pid() is not None:
                logger.warning("removing stale pid file %s", self._pid_file)
                self._pid_file.unlink(missing_ok=True)
            java = _java()
            lib = self.ensure_jars()
            port = self._choose_port()
            conf = self._write_config(port)
            command = [
                java,
                f"-Xms{min_heap(self.heap)}",
                f"-Xmx{self.heap}",
                *JVM_FLAGS,
                "-cp",
                f"{lib}/*",
                MAIN_CLASS,
                f"--home-dir={self.home}",
                f"--config-dir={conf}",
                "--console-mode",
            ]
            with open(self.console_log, "ab") as log:
                process = subprocess.Popen(
                    command,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            self._pid_file.write_text(f"{process.pid}\n")
            self._port_file.write_text(f"{port}\n")
            uri = self.uri_for(port)
            try:
                self._wait_started(process, uri)
            except BaseException:
                self._terminate(process.pid, grace_s=10)
                self._pid_file.unlink(missing_ok=True)
                raise
            return uri, True

    def _wait_started(self, process: subprocess.Popen[bytes], uri: str) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise EmbeddedError(
                    f"Neo4j exited during startup (code {process.returncode}): "
                    f"{self.failure_lines()}"
                )
            if _bolt_answers(uri):
                return
            time.sleep(0.25)
        raise EmbeddedError(
            f"Neo4j did not answer on {uri} within {self.start_timeout_s:.0f}s: "
            f"{self.failure_lines()}"
        )

    def failure_lines(self, limit: int = 3) -> str:
        """The most telling lines of the server's logs, for one-line error messages."""
        found: list[str] = []
        for path in (self.console_log, self.neo4j_log):
            if path.exists():
                lines = path.read_text(errors="replace").splitlines()[-400:]
                found += [line.strip() for line in lines if _ERROR_LINE.search(line)]
        return " | ".join(found[-limit:]) or f"no error logged; see {self.console_log}"

    def stop(self, grace_s: float = 30.0) -> bool:
        """Stop the server if it runs: SIGTERM, then SIGKILL after ``grace_s``."""
        with self._locked():
            current = self.status()
            if current.pid is None:
                self._pid_file.unlink(missing_ok=True)
                return False
            self._terminate(current.pid, grace_s)
            self._pid_file.unlink(missing_ok=True)
            return True

    def _terminate(self, pid: int, grace_s: float) -> None:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.1)
        logger.warning("Neo4j (pid %s) ignored SIGTERM for %.0fs; killing it", pid, grace_s)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        while _alive(pid):
            time.sleep(0.05)


def min_heap(heap: str) -> str:
    """Start small: the JVM grows to -Xmx only if the data needs it."""
    return "128m" if heap.lower().endswith(("m", "g")) else heap


def _alive(pid: int) -> bool:
    try:
        # A child we spawned becomes a zombie until reaped; reap it if it is ours.
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat")
    try:
        return state.read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        raise EmbeddedError(
            "Java 17 or 21 is not installed; the embedded Neo4j needs it "
            "(install it, e.g. `apt-get install openjdk-17-jre-headless`, or set NEO4J_URI)"
        )
    return java


def _bolt_answers(uri: str) -> bool:
    try:
        with neo4j.GraphDatabase.driver(uri, auth=None) as driver:
            driver.verify_connectivity()
        return True
    except (ServiceUnavailable, Neo4jError, OSError):
        return False


def wait_for_bolt(uri: str, timeout_s: float, auth: tuple[str, str] | None = None) -> None:
    """Block until a Neo4j answers on ``uri`` or raise EmbeddedError."""
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with neo4j.GraphDatabase.driver(uri, auth=auth) as driver:
                driver.verify_connectivity()
            return
        except (ServiceUnavailable, Neo4jError, OSError) as exc:
            last = exc
            time.sleep(0.25)
    raise EmbeddedError(f"no Neo4j answered on {uri} within {timeout_s:.0f}s: {last}")
