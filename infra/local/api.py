"""The API on the local stack: the same Chalice app, served by Chalice's local server.

API Gateway's Cognito authorizer does not exist locally; the app verifies every token itself
(api.md), so the local API is as strict as the deployed one.
"""

import importlib.util
import os
import sys
import threading
from pathlib import Path

from chalice.config import Config
from chalice.local import ChaliceRequestHandler, LocalChalice, LocalDevServer

from chalicelib import bootstrap
from chalicelib.config import ApiSettings
from infra.local.stack import LocalStack

API_FILE = Path(__file__).resolve().parents[2] / "functions" / "api" / "app.py"


def load_app(path: Path = API_FILE):
    """Import functions/api/app.py as Lambda would (its folder importable), returning `app`."""
    spec = importlib.util.spec_from_file_location("vindplaats_api_app", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.app


class _RequestHandler(ChaliceRequestHandler):
    # Chalice's handler knows only API Gateway's methods and answers any other with a bare 501;
    # passed to the app, it gets the same 405 envelope as any other method a path lacks.
    do_TRACE = do_CONNECT = do_QUERY = ChaliceRequestHandler._generic_handle


class LocalApi:
    """Serves the API on 127.0.0.1:`port` in a background thread until `stop()`."""

    def __init__(self, stack: LocalStack, port: int = 8000, function: str = "ApiFunction") -> None:
        # The API reads its configuration from the environment once, as a Lambda would at cold
        # start; this process is that Lambda's stand-in, so the variables are set for good.
        names = stack.body.get("Resources", {})
        os.environ.update(stack.env(function if function in names else None))
        # Its own dependencies, kept: the local runtime in this process resets what it builds.
        bootstrap.use(api=bootstrap.build_api(ApiSettings(), bootstrap.Aws()))
        self.app = load_app()
        # The local server answers requests in threads, and a plain Chalice app keeps one
        # `current_request` for all of them: a route could read another request's query (the page
        # asks for several things at once). `chalice local` makes it per thread; so does this.
        self.app.__class__ = type("ThreadLocalChalice", (LocalChalice, type(self.app)), {})
        self._server = LocalDevServer(
            self.app, Config(chalice_stage="local"), "127.0.0.1", port, handler_cls=_RequestHandler
        )
        self.port = self._server.server.server_address[1]
        self._thread = threading.Thread(target=self._server.server.serve_forever, name="local-api", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LocalApi":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
        bootstrap.use()
