"""Headless Chromium for the report tests: load a page, record what it did, take screenshots.

The probe script is injected before the page's own ``<head>`` content (so before its
Content-Security-Policy); it records errors, CSP violations and console output, and after
``load`` writes into the page what it saw: the images (decoded? natural size) and every network
request. ``--dump-dom`` then hands that back.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest

_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--hide-scrollbars", "--enable-logging=stderr", "--v=0")
_PROBE = """<script>
window.__seen = [];
addEventListener('error', e => __seen.push('error: ' + (e.message || e.target.src || e.type)),
                 true);
addEventListener('securitypolicyviolation', e => __seen.push('csp: ' + e.blockedURI));
for (const level of ['error', 'warn']) {
  const original = console[level];
  console[level] = (...args) => { __seen.push(level + ': ' + args.join(' '));
                                  original.apply(console, args); };
}
addEventListener('load', () => {
  const out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify({
    seen: __seen,
    images: [...document.images].map(i => [i.complete, i.naturalWidth, i.naturalHeight]),
    requests: performance.getEntriesByType('resource').map(r => r.name),
  });
  document.body.appendChild(out);
});
</script>"""


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run headless Chromium with ``args``; skip (fail under CI) when it is not installed."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs Debian's `chromium`")
        pytest.skip("needs headless Chromium: apt-get install chromium")
    command = [exe, *_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


def probe(tmp_path: Path, html: str) -> tuple[dict, str]:
    """Load ``html`` with the probe in Chromium; return what the page saw and the browser log."""
    page = tmp_path / "probed.html"
    page.write_text(html.replace("<head>", "<head>" + _PROBE, 1))
    done = chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", page.as_uri())
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.S)
    assert found, f"the page never finished loading:\n{done.stderr[-2000:]}"
    return json.loads(unescape(found.group(1))), done.stderr
