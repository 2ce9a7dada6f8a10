"""A WSMan/PSRP endpoint for tests: a TEST DOUBLE of a Windows host, not a product feature.

It speaks the real protocols to unmodified pypsrp: HTTP(S) on loopback,
NTLM or Negotiate(→NTLM) authentication through pyspnego's acceptor, the
WSMan shell actions pypsrp uses (Create, Receive, Command, Send, Signal,
Delete) and PSRP framing through psrpcore's server classes. What it does not
have is PowerShell. It serves only what a real host would have:

* commands installed on the host, registered with :meth:`WinRMEndpoint.register`
  (the AzsBackup module's cmdlets, tests/winrm_endpoint/azsbackup_cmdlets.py);
* the functions a client defined in its own session (one WSMan shell = one
  runspace pool of one runspace): a script pipeline made of function
  definitions is parsed with tree-sitter, and each function becomes callable in
  that session only, bound against the parameters its definition declares
  (tests/winrm_endpoint/runspace.py). The host-side behaviour of such a
  function comes from an implementation registered with
  :meth:`WinRMEndpoint.register_hostable` (tests/winrm_endpoint/files.py); it
  is served only after a client defined the function.

Any other command fails the pipeline with a CommandNotFoundException
ErrorRecord, as PowerShell would; a script that is not only function
definitions the double can host fails as on a host that cannot run it.
Errors of a defined function carry ``<id>,<function name>`` as their
FullyQualifiedErrorId, as PowerShell gives them.

Limits, on purpose: no message-level encryption (use HTTPS), no Kerberos or
CredSSP, no disconnected sessions, no pipeline input, one command per
pipeline, one user. Function bodies are never run.
"""

from __future__ import annotations

import base64
import os
import socket
import ssl
import threading
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psrpcore
import spnego
from psrpcore.types import (
    ErrorCategory,
    ErrorCategoryInfo,
    ErrorRecord,
    NETException,
    PSInvocationState,
)

from tests.winrm_endpoint.runspace import CommandError, Runspace, not_hostable

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "wsa": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "wsman": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "wst": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
    "wsmanfault": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)

ACTION_CREATE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
ACTION_DELETE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete"
SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
COMMAND_DONE = f"{SHELL}/CommandState/Done"
COMMAND_RUNNING = f"{SHELL}/CommandState/Running"
OPERATION_TIMEOUT_FAULT = 2150858793
RECEIVE_WAIT_S = 1.0

Handler = Callable[[dict[str, Any]], list[Any]]


@dataclass(frozen=True)
class StreamRecord:
    """What a handler yields besides output: a warning, a verbose line, or a non-terminating error."""

    stream: str  # "warning" | "verbose" | "error"
    message: str
    error_id: str = ""
    category: ErrorCategory = ErrorCategory.NotSpecified


@dataclass
class Shell:
    """One WSMan shell = one PSRP runspace pool, with outgoing data per target (pool or pipeline)."""

    pool: psrpcore.ServerRunspacePool = field(default_factory=psrpcore.ServerRunspacePool)
    outgoing: dict[uuid.UUID | None, bytearray] = field(default_factory=dict)
    done: set[uuid.UUID] = field(default_factory=set)
    lock: threading.Condition = field(default_factory=threading.Condition)
    runspace: Runspace = field(default_factory=Runspace)


class WinRMEndpoint(ThreadingHTTPServer):
    """The endpoint: ``with WinRMEndpoint(...) as ep: ep.start()``; stops in ``close()``."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, users: dict[str, str], *, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _RequestHandler)
        self.users = users
        self.tls = tls
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.handlers: dict[str, Handler] = {}
        self.hostable: dict[str, Handler] = {}
        self.shells: dict[str, Shell] = {}
        self.requests = 0
        self.fault_next: int | None = None
        """Fault injection: answer the next request with a WSManFault of this code."""
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def register(self, command: str, handler: Handler) -> None:
        """A command installed on the host: callable in every session."""
        self.handlers[command.lower()] = handler

    def register_hostable(self, function: str, implementation: Handler) -> None:
        """What a function does on the host, once a client defined it in its session (and only there)."""
        self.hostable[function.lower()] = implementation

    def start(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(5)

    # --- WSMan ----------------------------------------------------------------------------------

    def dispatch(self, envelope: ET.Element) -> ET.Element:
        header = envelope.find("s:Header", NS)
        body = envelope.find("s:Body", NS)
        assert header is not None and body is not None
        action = _text(header, "wsa:Action")
        shell_id = _selector(header, "ShellId")
        if action == ACTION_CREATE:
            return self._create(body)
        shell = self.shells[shell_id]
        if action == ACTION_DELETE:
            del self.shells[shell_id]
            return ET.Element(f"{{{NS['s']}}}Body")
        verb = action.rsplit("/", 1)[-1]
        return {"Receive": self._receive, "Command": self._command, "Send": self._send, "Signal": self._signal}[verb](
            shell, body
        )

    def _create(self, body: ET.Element) -> ET.Element:
        shell_id = str(uuid.uuid4()).upper()
        shell = Shell()
        self.shells[shell_id] = shell
        creation = body.find("rsp:Shell/{http://schemas.microsoft.com/powershell}creationXml", NS)
        assert creation is not None and creation.text
        self._feed(shell, base64.b64decode(creation.text), None)
        out = ET.Element(f"{{{NS['s']}}}Body")
        created = ET.SubElement(out, f"{{{NS['wst']}}}ResourceCreated")
        ET.SubElement(created, f"{{{NS['wsa']}}}Address").text = "http://127.0.0.1/wsman"
        ref = ET.SubElement(created, f"{{{NS['wsa']}}}ReferenceParameters")
        ET.SubElement(
            ref, f"{{{NS['wsman']}}}ResourceURI"
        ).text = "http://schemas.microsoft.com/powershell/Microsoft.PowerShell"
        selectors = ET.SubElement(ref, f"{{{NS['wsman']}}}SelectorSet")
        ET.SubElement(selectors, f"{{{NS['wsman']}}}Selector", Name="ShellId").text = shell_id
        shell_xml = ET.SubElement(out, f"{{{NS['rsp']}}}Shell")
        ET.SubElement(shell_xml, f"{{{NS['rsp']}}}ShellId").text = shell_id
        return out

    def _command(self, shell: Shell, body: ET.Element) -> ET.Element:
        command = body.find("rsp:CommandLine", NS)
        assert command is not None
        command_id = command.attrib.get("CommandId") or str(uuid.uuid4()).upper()
        pipeline_id = uuid.UUID(command_id)
        with shell.lock:
            psrpcore.ServerPipeline(shell.pool, pipeline_id)  # must exist before its Command fragment arrives
        arguments = command.find("rsp:Arguments", NS)
        if arguments is not None and arguments.text:
            self._feed(shell, base64.b64decode(arguments.text), pipeline_id)
        out = ET.Element(f"{{{NS['s']}}}Body")
        response = ET.SubElement(out, f"{{{NS['rsp']}}}CommandResponse")
        ET.SubElement(response, f"{{{NS['rsp']}}}CommandId").text = command_id
        return out

    def _send(self, shell: Shell, body: ET.Element) -> ET.Element:
        for stream in body.findall("rsp:Send/rsp:Stream", NS):
            command_id = stream.attrib.get("CommandId")
            self._feed(shell, base64.b64decode(stream.text or ""), uuid.UUID(command_id) if command_id else None)
        out = ET.Element(f"{{{NS['s']}}}Body")
        ET.SubElement(out, f"{{{NS['rsp']}}}SendResponse")
        return out

    def _signal(self, shell: Shell, body: ET.Element) -> ET.Element:
        signal = body.find("rsp:Signal", NS)
        if signal is not None and signal.attrib.get("CommandId"):
            with shell.lock:
                shell.done.add(uuid.UUID(signal.attrib["CommandId"]))
        out = ET.Element(f"{{{NS['s']}}}Body")
        ET.SubElement(out, f"{{{NS['rsp']}}}SignalResponse")
        return out

    def _receive(self, shell: Shell, body: ET.Element) -> ET.Element:
        desired = body.find("rsp:Receive/rsp:DesiredStream", NS)
        command_id = desired.attrib.get("CommandId") if desired is not None else None
        target = uuid.UUID(command_id) if command_id else None
        with shell.lock:
            if not shell.lock.wait_for(lambda: bool(shell.outgoing.get(target)), timeout=RECEIVE_WAIT_S):
                raise _Timeout
            data = bytes(shell.outgoing.pop(target))
            finished = target is not None and target in shell.done
        out = ET.Element(f"{{{NS['s']}}}Body")
        response = ET.SubElement(out, f"{{{NS['rsp']}}}ReceiveResponse")
        attrs = {"Name": "stdout"} | ({"CommandId": command_id} if command_id else {})
        ET.SubElement(response, f"{{{NS['rsp']}}}Stream", attrs).text = base64.b64encode(data).decode()
        if target is not None:
            state = {"CommandId": command_id, "State": COMMAND_DONE if finished else COMMAND_RUNNING}
            ET.SubElement(response, f"{{{NS['rsp']}}}CommandState", state)
        return out

    # --- PSRP -----------------------------------------------------------------------------------

    def _feed(self, shell: Shell, data: bytes, pipeline_id: uuid.UUID | None) -> None:
        with shell.lock:
            shell.pool.receive_data(psrpcore.PSRPPayload(data, psrpcore.StreamType.default, pipeline_id))
            while (event := shell.pool.next_event()) is not None:
                if isinstance(event, psrpcore.CreatePipelineEvent):
                    self._run_pipeline(shell, shell.pool.pipeline_table[event.pipeline_id])
            self._collect(shell)

    def _collect(self, shell: Shell) -> None:
        while (payload := shell.pool.data_to_send()) is not None:
            shell.outgoing.setdefault(payload.pipeline_id, bytearray()).extend(payload.data)
        shell.lock.notify_all()

    def _run_pipeline(self, shell: Shell, pipeline: psrpcore.ServerPipeline) -> None:
        pipeline.start()
        try:
            for value in self._execute(shell, pipeline.metadata.commands):
                _write(pipeline, value)
        except CommandError as exc:
            record = ErrorRecord(
                Exception=NETException(Message=str(exc)),
                CategoryInfo=ErrorCategoryInfo(Category=exc.category, Reason=exc.error_id),
                FullyQualifiedErrorId=exc.error_id,
            )
            pipeline._change_state(PSInvocationState.Failed, error=record)
        else:
            pipeline.complete()
        shell.done.add(pipeline.pipeline_id)

    def _execute(self, shell: Shell, commands: list[Any]) -> list[Any]:
        if len(commands) != 1:
            raise not_hostable(f"a pipeline of {len(commands)} commands")
        command = commands[0]
        if command.is_script:
            if command.parameters:
                raise not_hostable("a script with parameters")
            shell.runspace.run_script(
                command.command_text, use_local_scope=command.use_local_scope, hostable=self.hostable
            )
            return []
        name = command.command_text
        defined = shell.runspace.lookup(name)
        if defined is not None:
            try:
                return self.hostable[defined.name.lower()](defined.bind(list(command.parameters)))
            except CommandError as exc:
                raise CommandError(f"{exc.error_id},{defined.name}", str(exc), exc.category) from exc
        handler = self.handlers.get(name.lower())
        if handler is None:
            raise CommandError(
                "CommandNotFoundException",
                f"The term '{name}' is not recognized as a name of a cmdlet, function, script file, or program.",
                ErrorCategory.ObjectNotFound,
            )
        return handler({key: value for key, value in command.parameters})


def _write(pipeline: psrpcore.ServerPipeline, value: Any) -> None:
    if not isinstance(value, StreamRecord):
        pipeline.write_output(value)
    elif value.stream == "warning":
        pipeline.write_warning(value.message)
    elif value.stream == "verbose":
        pipeline.write_verbose(value.message)
    else:
        pipeline.write_error(
            NETException(Message=value.message),
            ErrorCategoryInfo(Category=value.category, Reason=value.error_id),
            fully_qualified_error_id=value.error_id,
        )


class _Timeout(Exception):
    """No data within the receive wait: answered with WSMan's operation-timeout fault."""


def _text(parent: ET.Element, path: str) -> str:
    node = parent.find(path, NS)
    return (node.text or "") if node is not None else ""


def _selector(header: ET.Element, name: str) -> str:
    for selector in header.findall("wsman:SelectorSet/wsman:Selector", NS):
        if selector.attrib.get("Name") == name:
            return selector.text or ""
    return ""


def _envelope(request: ET.Element, body: ET.Element, action: str) -> bytes:
    envelope = ET.Element(f"{{{NS['s']}}}Envelope")
    header = ET.SubElement(envelope, f"{{{NS['s']}}}Header")
    ET.SubElement(header, f"{{{NS['wsa']}}}Action").text = action + "Response"
    ET.SubElement(header, f"{{{NS['wsa']}}}MessageID").text = f"uuid:{uuid.uuid4()}"
    request_header = request.find("s:Header", NS)
    assert request_header is not None
    ET.SubElement(header, f"{{{NS['wsa']}}}RelatesTo").text = _text(request_header, "wsa:MessageID")
    ET.SubElement(header, f"{{{NS['wsa']}}}To").text = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
    envelope.append(body)
    return ET.tostring(envelope, encoding="utf-8")


def _fault(request: ET.Element, code: int, message: str) -> bytes:
    body = ET.Element(f"{{{NS['s']}}}Body")
    fault = ET.SubElement(body, f"{{{NS['s']}}}Fault")
    code_el = ET.SubElement(fault, f"{{{NS['s']}}}Code")
    ET.SubElement(code_el, f"{{{NS['s']}}}Value").text = "s:Receiver"
    reason = ET.SubElement(fault, f"{{{NS['s']}}}Reason")
    ET.SubElement(reason, f"{{{NS['s']}}}Text").text = message
    detail = ET.SubElement(fault, f"{{{NS['s']}}}Detail")
    wsman_fault = ET.SubElement(detail, f"{{{NS['wsmanfault']}}}WSManFault", Code=str(code), Machine="127.0.0.1")
    ET.SubElement(wsman_fault, f"{{{NS['wsmanfault']}}}Message").text = message
    return _envelope(request, body, "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault")


class _RequestHandler(BaseHTTPRequestHandler):
    """One HTTP connection: NTLM authenticates the connection, then every request on it is served."""

    protocol_version = "HTTP/1.1"
    server: WinRMEndpoint

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._auth: Any = None
        self._authenticated = False

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        payload = self.rfile.read(length)
        if not self._authenticated and not self._authenticate():
            return
        self.server.requests += 1
        request = ET.fromstring(payload)  # noqa: S314 - a loopback test double parsing its own client's XML
        header = request.find("s:Header", NS)
        action = _text(header, "wsa:Action") if header is not None else ""
        if self.server.fault_next is not None:
            code, self.server.fault_next = self.server.fault_next, None
            self._reply(500, _fault(request, code, "The WS-Management service refused the request (injected)."))
            return
        try:
            body = self.server.dispatch(request)
        except _Timeout:
            self._reply(
                500,
                _fault(
                    request,
                    OPERATION_TIMEOUT_FAULT,
                    "The WS-Management service cannot complete "
                    "the operation within the time specified in OperationTimeout.",
                ),
            )
            return
        except KeyError:
            self._reply(500, _fault(request, 2150858843, "The request is for a shell that does not exist."))
            return
        self._reply(200, _envelope(request, body, action))

    def _authenticate(self) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() not in ("negotiate", "ntlm") or not token:
            self._challenge(None)
            return False
        if self._auth is None:
            self._auth = spnego.server(protocol="negotiate" if scheme.lower() == "negotiate" else "ntlm")
            self._scheme = scheme
        try:
            out = self._auth.step(base64.b64decode(token))
        except Exception:  # a wrong password: refuse and forget this attempt
            self._auth = None
            self._challenge(None)
            return False
        if not self._auth.complete:
            self._challenge(out)
            return False
        self._authenticated = True
        return True

    def _challenge(self, token: bytes | None) -> None:
        self.send_response(401)
        if token is None:
            self.send_header("WWW-Authenticate", "Negotiate")
            self.send_header("WWW-Authenticate", "NTLM")
        else:
            self.send_header("WWW-Authenticate", f"{self._scheme} {base64.b64encode(token).decode()}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _reply(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/soap+xml;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def write_user_file(directory: Path, users: dict[str, str]) -> Path:
    """pyspnego's NTLM acceptor reads credentials from the file named by NTLM_USER_FILE."""
    path = directory / "ntlm-users"
    path.write_text("".join(f":{user}:{password}\n" for user, password in users.items()))
    os.environ["NTLM_USER_FILE"] = str(path)
    return path
