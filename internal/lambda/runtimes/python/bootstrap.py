"""gatehouse's runtime for AWS Lambda's Python runtimes (python3.9 ... python3.14).

gatehouse starts it as `<python> $LAMBDA_RUNTIME_DIR/bootstrap.py` in the function's code
directory (LAMBDA_TASK_ROOT). It imports the handler named by _HANDLER once (the init
phase), then loops over the Lambda Runtime API at AWS_LAMBDA_RUNTIME_API, version
2018-06-01 (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html):

    GET  /2018-06-01/runtime/invocation/next           the next event and its headers
    POST /2018-06-01/runtime/invocation/{id}/response  the handler's result, as JSON
    POST /2018-06-01/runtime/invocation/{id}/error     an exception, AWS's error document
    POST /2018-06-01/runtime/init/error                the handler could not be loaded

Standard library only. The error types and messages are AWS's, as its Python runtime
reports them (seen in users' reports of AWS's answers):

    Runtime.ImportModuleError    "Unable to import module 'app': No module named 'app'"
                                 (github.com/aws-samples/aws-lambda-ddns-function/issues/39,
                                 github.com/aws/aws-lambda-python-runtime-interface-client/issues/29)
    Runtime.HandlerNotFound      "Handler 'nope' missing on module 'app'"
    Runtime.MalformedHandlerName "Bad handler 'app': not enough values to unpack (expected 2, got 1)"
    Runtime.UserCodeSyntaxError  "Syntax error in module 'app': invalid syntax (app.py, line 1)"
    Runtime.MarshalError         "Unable to marshal response: b'{}' is not JSON serializable"
                                 (github.com/odd12258053/agraffe/issues/6)
    Runtime.UnmarshalError       "Unable to unmarshal input: ..."

An exception the handler raises is {"errorMessage": str(e), "errorType": its class name,
"requestId": ..., "stackTrace": [one string per frame of the handler's code]}.
"""

import decimal
import http.client
import importlib
import json
import logging
import os
import sys
import time
import traceback

API_VERSION = "/2018-06-01"

# The request id of the invocation running, for log lines; "" during init.
_current_request_id = ""


class RuntimeAPI:
    """A keep-alive HTTP/1.1 connection to the Runtime API gatehouse serves this process."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self._host, self._port = host, int(port)
        self._conn = None

    def _call(self, method, path, body=None, headers=None):
        # A kept-alive connection may have been closed while the handler ran: the call is
        # sent again once on a new one (the API answers a duplicate with 400, harmlessly).
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self._host, self._port)
            try:
                self._conn.request(method, API_VERSION + path, body=body, headers=headers or {})
                resp = self._conn.getresponse()
                data = resp.read()
                return resp, data
            except (http.client.HTTPException, OSError):
                self._conn.close()
                self._conn = None
                if attempt == 2:
                    raise

    def next(self):
        resp, body = self._call("GET", "/runtime/invocation/next")
        if resp.status != 200:
            raise RuntimeError("Runtime API /next answered %d: %r" % (resp.status, body[:200]))
        return resp.headers, body

    def respond(self, request_id, payload):
        self._call("POST", "/runtime/invocation/%s/response" % request_id, payload,
                   {"Content-Type": "application/json"})

    def fail(self, request_id, error):
        self._post_error("/runtime/invocation/%s/error" % request_id, error)

    def init_error(self, error):
        self._post_error("/runtime/init/error", error)

    def _post_error(self, path, error):
        self._call("POST", path, json.dumps(error).encode(),
                   {"Content-Type": "application/json",
                    "Lambda-Runtime-Function-Error-Type": error["errorType"]})


class Fault(Exception):
    """A failure of the runtime's own (loading the handler, marshalling), with AWS's type."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type, self.message, self.trace = error_type, message, trace or []


def error_document(error_type, message, request_id, trace):
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id,
            "stackTrace": trace}


def exception_document(exc, request_id):
    """AWS's error document of an exception: the frames below the runtime's own call."""
    if isinstance(exc, Fault):
        return error_document(exc.error_type, exc.message, request_id, exc.trace)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _runtime_frame(f.filename)]
    return error_document(type(exc).__name__, str(exc), request_id, traceback.format_list(frames))


_IMPORTLIB_DIR = os.path.dirname(importlib.__file__)


def _runtime_frame(filename):
    """Whether a frame is the runtime's own (this file, the import machinery), which AWS's
    traces leave out."""
    return (filename == __file__ or filename.startswith("<frozen importlib")
            or os.path.dirname(filename) == _IMPORTLIB_DIR)


def log_error(doc):
    """Log an error as AWS's runtime does: [ERROR] type: message, then the trace."""
    lines = ["[ERROR] %s: %s" % (doc["errorType"], doc["errorMessage"])]
    if doc["stackTrace"]:
        lines.append("Traceback (most recent call last):")
        lines.extend(s.rstrip("\n") for s in doc["stackTrace"])
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


def load_handler(handler):
    """Import the module of a handler named as AWS names it ("app.lambda_handler",
    "pkg/mod.handler": the module's path with slashes, the function after the last dot)."""
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise Fault("Runtime.MalformedHandlerName", "Bad handler '%s': %s" % (handler, e))
    if not modname or not fname:
        raise Fault("Runtime.MalformedHandlerName", "Bad handler '%s': empty module or function name" % handler)
    try:
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise Fault("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (modname, e))
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, (e.text or "").strip())]
        raise Fault("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (modname, e), trace)
    try:
        fn = getattr(module, fname)
    except AttributeError:
        raise Fault("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (fname, modname))
    if not callable(fn):
        raise Fault("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (fname, modname))
    return fn


class CognitoIdentity:
    """context.identity: the Amazon Cognito identity that authorized the call (None
    attributes when there is none, as on AWS)."""

    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, identity_id=None, pool_id=None):
        self.cognito_identity_id = identity_id
        self.cognito_identity_pool_id = pool_id

    def __repr__(self):
        return "CognitoIdentity([cognito_identity_id=%s,cognito_identity_pool_id=%s])" % (
            self.cognito_identity_id, self.cognito_identity_pool_id)


class Client:
    """context.client_context.client: the mobile client application."""

    __slots__ = ("installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name")

    def __init__(self, d):
        self.installation_id = d.get("installation_id")
        self.app_title = d.get("app_title")
        self.app_version_name = d.get("app_version_name")
        self.app_version_code = d.get("app_version_code")
        self.app_package_name = d.get("app_package_name")


class ClientContext:
    """context.client_context: what the client passed in X-Amz-Client-Context."""

    __slots__ = ("custom", "env", "client")

    def __init__(self, d):
        self.custom = d.get("custom")
        self.env = d.get("env")
        client = d.get("client")
        self.client = Client(client) if isinstance(client, dict) else None


class LambdaContext:
    """The handler's context argument, with the attributes and method of AWS's."""

    def __init__(self, request_id, deadline_ms, invoked_function_arn, client_context, identity):
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        # A string, as AWS's runtime gives it: the variable's value.
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.client_context = client_context
        self.identity = identity
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        """Milliseconds left before the invocation times out (Lambda-Runtime-Deadline-Ms)."""
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def __repr__(self):
        return ("LambdaContext([aws_request_id=%s,log_group_name=%s,log_stream_name=%s,function_name=%s,"
                "memory_limit_in_mb=%s,function_version=%s,invoked_function_arn=%s,client_context=%s,identity=%s])" % (
                    self.aws_request_id, self.log_group_name, self.log_stream_name, self.function_name,
                    self.memory_limit_in_mb, self.function_version, self.invoked_function_arn,
                    self.client_context, self.identity))


def make_context(headers, request_id):
    deadline = int(headers.get("Lambda-Runtime-Deadline-Ms") or 0)
    identity = CognitoIdentity()
    raw = headers.get("Lambda-Runtime-Cognito-Identity")
    if raw:
        try:
            d = json.loads(raw)
            identity = CognitoIdentity(d.get("cognitoIdentityId"), d.get("cognitoIdentityPoolId"))
        except (ValueError, AttributeError):
            pass
    client_context = None
    raw = headers.get("Lambda-Runtime-Client-Context")
    if raw:
        try:
            d = json.loads(raw)
            if isinstance(d, dict):
                client_context = ClientContext(d)
        except ValueError:
            pass
    return LambdaContext(request_id, deadline, headers.get("Lambda-Runtime-Invoked-Function-Arn"),
                         client_context, identity)


class _RequestIDFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _current_request_id
        return True


def setup_logging():
    """logging's records on stdout in AWS's format: [LEVEL]\\t<UTC time>Z\\t<request id>\\t<message>.
    The root logger's level stays WARNING unless AWS_LAMBDA_LOG_LEVEL says otherwise, as on AWS."""
    handler = logging.StreamHandler(sys.stdout)
    fmt = logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
                            "%Y-%m-%dT%H:%M:%S")
    fmt.converter = time.gmtime
    handler.setFormatter(fmt)
    handler.addFilter(_RequestIDFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    if level in ("DEBUG", "INFO", "WARN", "WARNING", "ERROR", "CRITICAL", "FATAL"):
        root.setLevel({"WARN": "WARNING", "FATAL": "CRITICAL"}.get(level, level))


def _json_default(o):
    if isinstance(o, decimal.Decimal):
        return int(o) if o == o.to_integral_value() else float(o)
    raise TypeError(repr(o) + " is not JSON serializable")


def marshal(result):
    try:
        return json.dumps(result, default=_json_default).encode()
    except (TypeError, ValueError) as e:
        raise Fault("Runtime.MarshalError", "Unable to marshal response: %s" % e)


def main():
    global _current_request_id
    api = RuntimeAPI(os.environ["AWS_LAMBDA_RUNTIME_API"])
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    # The package's modules and its vendored dependencies first, as on AWS (/var/task).
    if task_root in sys.path:
        sys.path.remove(task_root)
    sys.path.insert(0, task_root)
    setup_logging()

    try:
        handler = load_handler(os.environ.get("_HANDLER", ""))
    except Exception as e:  # noqa: BLE001 — module-level code may raise anything
        doc = exception_document(e, "")
        log_error(doc)
        api.init_error(doc)
        sys.exit(1)

    while True:
        headers, body = api.next()
        request_id = headers.get("Lambda-Runtime-Aws-Request-Id", "")
        _current_request_id = request_id
        trace_id = headers.get("Lambda-Runtime-Trace-Id")
        if trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = trace_id
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        try:
            try:
                event = json.loads(body) if body else None
            except ValueError as e:
                raise Fault("Runtime.UnmarshalError", "Unable to unmarshal input: %s" % e)
            context = make_context(headers, request_id)
            payload = marshal(handler(event, context))
        except Exception as e:  # noqa: BLE001 — SystemExit and KeyboardInterrupt end the process
            doc = exception_document(e, request_id)
            log_error(doc)
            api.fail(request_id, doc)
            continue
        api.respond(request_id, payload)


if __name__ == "__main__":
    main()
