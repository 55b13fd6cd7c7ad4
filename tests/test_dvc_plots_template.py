"""`dvc plots show` works offline: the page template configured in .dvc/config carries vega,
vega-lite and vega-embed inline, and the page DVC renders loads no script from the network."""

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

TEMPLATE = REPO / "docs" / "dvc_plots_template.html"
REMOTE_SCRIPT = re.compile(r"<script[^>]*\bsrc\s*=\s*[\"']?(https?:)?//", re.IGNORECASE)

# Runs every inline script of the page in a bare context, then compiles and renders each
# chart spec of the page to SVG with the inlined vega-lite and vega: the charts are drawable
# from what the page carries.
NODE_CHECK = r"""
const fs = require('fs'), vm = require('vm');
const html = fs.readFileSync(process.argv[1], 'utf8');
const ctx = {console, setTimeout, clearTimeout, Promise,
             addEventListener: () => {}, removeEventListener: () => {}};
ctx.self = ctx; ctx.globalThis = ctx; ctx.window = ctx;
vm.createContext(ctx);
for (const m of html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)) {
  if (!m[1].includes('vegaEmbed(')) vm.runInContext(m[1], ctx);
}
if (typeof ctx.vegaEmbed !== 'function') { console.error('vegaEmbed missing'); process.exit(1); }
const specs = [...html.matchAll(/var spec = (\{.*\});\n/g)].map(m => JSON.parse(m[1]));
(async () => {
  for (const spec of specs) {
    const view = new ctx.vega.View(ctx.vega.parse(ctx.vegaLite.compile(spec).spec),
                                   {renderer: 'none'});
    const svg = await view.toSVG();
    if (!svg.includes('<path')) throw new Error('empty chart');
  }
  console.log(`rendered ${specs.length}`);
})().catch(e => { console.error(e); process.exit(1); });
"""


def test_template_inlines_the_scripts_and_loads_nothing():
    page = TEMPLATE.read_text(encoding="utf-8")
    assert "{plot_divs}" in page  # dvc-render's required placeholder
    # dvc-render writes its CDN <script src> tags into {scripts}: the template must not have it
    assert "{scripts}" not in page
    assert not REMOTE_SCRIPT.search(page)
    for name in ("vega 5.", "vega-lite 5.", "vega-embed 6."):
        assert f"/* {name}" in page, name
    assert page.count("Redistribution and use in source and binary forms") == 3  # BSD-3


def test_dvc_config_names_the_template():
    config = configparser.ConfigParser()
    config.read(REPO / ".dvc" / "config")
    configured = (REPO / ".dvc" / config["plots"]["html_template"]).resolve()
    assert configured == TEMPLATE.resolve()


def _dvc_env() -> dict[str, str]:
    env = dict(os.environ, DVC_NO_ANALYTICS="1")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    return env


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """`dvc plots show` in a copy of the repo's DVC set-up with one small plot of each kind."""
    repo = tmp_path_factory.mktemp("plots-repo")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(
        [sys.executable, "-m", "dvc", "init", "-q"], cwd=repo, check=True, env=_dvc_env()
    )
    shutil.copy(REPO / ".dvc" / "config", repo / ".dvc" / "config")
    (repo / "docs").mkdir()
    shutil.copy(TEMPLATE, repo / "docs" / TEMPLATE.name)
    (repo / "confusion.csv").write_text("actual,predicted\nnone,none\nnone,conservative\n")
    (repo / "curve.tsv").write_text("step\tloss\n1\t0.9\n2\t0.5\n3\t0.4\n")
    (repo / "dvc.yaml").write_text(
        "plots:\n"
        "  - confusion.csv:\n      template: confusion\n      x: predicted\n      y: actual\n"
        "  - curve.tsv:\n      x: step\n      y: loss\n"
    )
    out = repo / "out"
    subprocess.run(
        [sys.executable, "-m", "dvc", "plots", "show", "-o", str(out)],
        cwd=repo,
        check=True,
        env=_dvc_env(),
        capture_output=True,
    )
    return out / "index.html"


def test_dvc_plots_show_page_has_no_remote_script(rendered):
    page = rendered.read_text(encoding="utf-8")
    assert page.count("vegaEmbed(") == 2
    assert not REMOTE_SCRIPT.search(page)
    assert "cdn.jsdelivr" not in page


@pytest.mark.skipif(shutil.which("node") is None, reason="node.js not installed")
def test_the_inlined_scripts_draw_the_charts(rendered):
    proc = subprocess.run(
        ["node", "-e", NODE_CHECK, str(rendered)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "rendered 2"
