"""What a command that talks to an account pays before its first request: httpx without its
command-line client (click, rich's console, pygments: ~0.04 s), and the certificate authorities
loaded only when a TLS connection can happen."""

from __future__ import annotations

import ssl
import subprocess
import sys

import pytest

from ovctl.account.client import _verify_for


def test_httpx_is_imported_without_its_command_line_client() -> None:
    code = ("import sys; import ovctl.account.client as c; import httpx; "
            "print(sorted(m for m in ('httpx._main', 'rich.console', 'pygments', 'click') if m in sys.modules)); "
            "print(callable(httpx.main), isinstance(c.httpx.Client, type))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "True True"


@pytest.mark.parametrize(("sync", "export", "environ", "bare"), [
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000", {}, True),
    ("http://localhost:8000", "http://localhost:8000", {"PATH": "/bin"}, True),
    ("http://[::1]:8000", "http://[::1]:8000", {}, True),
    ("https://localhost:8443", "https://localhost:8443", {}, False),
    ("http://sandbox.example:8000", "http://sandbox.example:8000", {}, False),
    ("https://api.workleap.com", "https://api.officevibe.com", {}, False),
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000", {"HTTPS_PROXY": "https://proxy:3128"}, False),
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000", {"all_proxy": "socks5://proxy"}, False),
])
def test_authorities_are_loaded_whenever_tls_may_be_used(sync: str, export: str, environ: dict[str, str],
                                                          bare: bool) -> None:
    verify = _verify_for(sync, export, environ)
    if not bare:
        assert verify is True  # httpx's default: certifi's authorities, hostnames checked
        return
    assert isinstance(verify, ssl.SSLContext)
    assert verify.verify_mode == ssl.CERT_REQUIRED and verify.check_hostname  # verifying, with nothing to trust
    assert verify.get_ca_certs() == []
