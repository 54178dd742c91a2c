"""The self-contained HTML report: static checks of the file, and the page as headless
Chromium renders it (skipped where /usr/bin/chromium is absent)."""

import base64
import csv
import html
import json
import os
import re
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from boltzprune.app.html import (  # noqa: E402
    RUN_REQUIRED_FILES,
    Section,
    config_html,
    figure_html,
    markdown_html,
    render_html,
    table_html,
    versions_html,
    write_run_html,
)
from boltzprune.errors import BoltzpruneError  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
MAGENTA = (230, 0, 180)  # drawn only in the fake run's first figure
GREEN = (0, 190, 90)  # drawn only in its second figure
TAB_BLUE = (31, 119, 180)  # matplotlib's tab:blue, the variance criterion in real figures
TITLE = "boltzprune: RBM pruning experiment (test run)"
IMG_SRC = re.compile(r"<img\b[^>]*\bsrc=\"([^\"]*)\"")


# ---------------------------------------------------------------------------------------
# Fixtures


def _block_figure(path: Path, colour: tuple[int, int, int], label: str) -> None:
    """A 240 x 160 px figure that is mostly one flat, distinctive colour."""
    fig = plt.figure(figsize=(4.8, 3.2), dpi=50)
    ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
    ax.add_patch(plt.Rectangle((0, 0), 1, 1, color=np.array(colour) / 255))
    ax.set_axis_off()
    ax.text(0.5, 0.5, label, ha="center", va="center", color="white")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=50)
    plt.close(fig)


def _write_csv(path: Path, columns: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns)
        w.writerows(rows)


def make_fake_run(run: Path, kind: str = "rbm") -> Path:
    """A finished run directory shaped like the RBM (or DBM) experiment's output."""
    run.mkdir(parents=True)
    _block_figure(run / "figures" / "fig_magenta.png", MAGENTA, "A")
    _block_figure(run / "figures" / "fig_green.png", GREEN, "B")
    _block_figure(run / "figures" / "unreferenced.png", (40, 40, 40), "C")
    (run / "report.md").write_text(
        f"# {TITLE}\n\n"
        "Wall time 1 s. Configuration: `config.json`.\n\n"
        "## Results\n\n"
        "![Figure 1: magenta block](figures/fig_magenta.png)\n\n"
        "| criterion | 910 w | 455 w |\n|---|---|---|\n"
        "| variance FI | 70.0 ± 0.0 (70) | 63.8 ± 3.1 (69) |\n"
        "| \\|w\\| | 70.0 ± 0.0 (70) | 69.8 ± 0.4 (70) |\n\n"
        "Raw <script>alert('md')</script> HTML stays text.\n\n"
        "![Figure 2: green block](figures/fig_green.png)\n\n"
        "## Differences\n\n- one\n- two\n")
    config = {"seeds": [0], "n_patches": 1234, "radius": 2.1,
              "note": "<b>not bold</b>",
              "sampling": {"n_samples": 500, "thin": 7, "method": "gibbs"},
              "training": {"authors_code": {"lr_start": 0.0123, "momentum": 0.009}},
              "schedule": {"pretrain": [{"epochs": 11}, {"epochs": 12}]}}
    (run / "config.json").write_text(json.dumps(config, indent=2))
    (run / "versions.json").write_text(json.dumps(
        {"python": "3.11.7", "torch": "2.13.0+cpu", "boltzprune": "0.1.0",
         "git_revision": "0123456789abcdef0123456789abcdef01234567", "seeds": [0]}))
    (run / "summary.json").write_text(json.dumps({"summary": {"variance": [1, 2, 3]}}))
    rng = np.random.default_rng(0)
    if kind == "rbm":
        (run / "data_stats.json").write_text(json.dumps({"n_patches": 1234, "n_pixels": 13}))
        _write_csv(run / "metrics.csv",
                   ["schedule", "seed", "criterion", "iteration", "stage", "n_weights",
                    "log_likelihood"],
                   [["paper", s, c, i, "pruned", 910 >> i, float(rng.normal(-5, 1))]
                    for s in range(10) for c in ("variance", "random") for i in range(20)])
        _write_csv(run / "table1_paper.csv", ["criterion", "n_weights", "units_mean"],
                   [["variance", 910, 70.0], ["variance", 455, 63.8],
                    ["<i>x</i>", 227, 53.2]])
        (run / "paper" / "seed0").mkdir(parents=True)
        (run / "paper" / "seed0" / "trained.safetensors").write_bytes(b"\0" * 100)
    else:
        (run / "data.json").write_text(json.dumps({"source": "bundled", "n_train": 4000,
                                                   "image_shape": [20, 20]}))
        _write_csv(run / "metrics.csv",
                   ["seed", "criterion", "iteration", "n_weights", "n_h1", "encoding_error"],
                   [[0, "variance", i, json.dumps([8836 - i, 270400 - i]), 400, 0.05 + i / 100]
                    for i in range(11)])
        (run / "seed0").mkdir()
        (run / "seed0" / "trained.safetensors").write_bytes(b"\0" * 100)
    return run


@pytest.fixture
def fake_run(tmp_path):
    return make_fake_run(tmp_path / "run")


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    """A real, tiny RBM run made with the CLI (about 5 s)."""
    from boltzprune.app.cli import main

    out = tmp_path_factory.mktemp("real") / "run"
    args = ["rbm-patches", "--seeds", "0", "--schedules", "authors_code",
            "--criteria", "variance", "random", "--iterations", "1", "--n-patches", "2000",
            "--fi-samples", "500", "--chains", "50", "--burn-in", "20", "--thin", "2",
            "--no-progress", "--workers", "1", "--out", str(out)]
    assert main(args) == 0
    return out


# ---------------------------------------------------------------------------------------
# Static checks


def assert_self_contained(text: str) -> list[str]:
    """No external requests possible: every <img> is a data URI, no <link>, <script>,
    <iframe>, @import or url(); returns the img srcs."""
    low = text.lower()
    for bad in ("<link", "<script", "<iframe", "<object", "<embed", "@import", "url(",
                'src="http', "src='http", 'src="//'):
        assert bad not in low, bad
    srcs = IMG_SRC.findall(text)
    for s in srcs:
        assert s.startswith("data:image/png;base64,"), s[:60]
    # No absolute URL anywhere but in text the report itself wrote.
    assert not re.search(r"(src|href)=\"(https?:)?//", text)
    return srcs


def test_fake_rbm_run_static(fake_run):
    path = write_run_html(fake_run)
    assert path == fake_run / "report.html"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    srcs = assert_self_contained(text)
    # The two referenced figures, then the unreferenced one under "Other figures".
    assert len(srcs) == 3
    for src, name in zip(srcs, ["fig_magenta", "fig_green", "unreferenced"], strict=True):
        data = base64.b64decode(src.split(",", 1)[1])
        assert data == (fake_run / "figures" / f"{name}.png").read_bytes()
    assert f"<title>{TITLE}</title>" in text and f"<h1>{TITLE}</h1>" in text
    assert "Other figures" in text
    # Markdown table, with the escaped pipe kept as text.
    assert "<td>variance FI</td>" in text and "<td>|w|</td>" in text
    # Tables for the CSVs: table1 inline, metrics collapsed and complete (400 rows).
    assert "table1_paper.csv" in text and "<details><summary>metrics.csv: 400 rows" in text
    assert text.count("<tr>") > 400
    # Configuration values, flattened; versions; data description.
    for key, value in [("n_patches", "1234"), ("sampling.thin", "7"),
                       ("training.authors_code.lr_start", "0.0123"),
                       ("schedule.pretrain[1].epochs", "12"), ("radius", "2.1")]:
        assert re.search(rf"<code>{re.escape(key)}</code></th><td><code>{value}</code>", text)
    assert "2.13.0+cpu" in text and "git 0123456789ab" in text
    assert "n_pixels" in text
    # Everything from the files is escaped.
    assert "<script>" not in text and "&lt;script&gt;alert(" in text
    assert "&lt;b&gt;not bold&lt;/b&gt;" in text and "&lt;i&gt;x&lt;/i&gt;" in text
    # Written atomically: nothing else left behind.
    assert sorted(p.name for p in fake_run.iterdir() if p.name.startswith(".")) == []


def test_fake_dbm_run_static(tmp_path):
    run = make_fake_run(tmp_path / "dbm", kind="dbm")
    text = write_run_html(run).read_text(encoding="utf-8")
    assert len(assert_self_contained(text)) == 3
    assert "data.json" in text and "image_shape" in text and "seed0/" in text
    # A short metrics.csv with quoted list cells still goes in a collapsed block.
    assert "<details><summary>metrics.csv: 11 rows × 6 columns" in text
    assert "[8836, 270400]" in text


def test_real_run(real_run):
    text = write_run_html(real_run).read_text(encoding="utf-8")
    srcs = assert_self_contained(text)
    pngs = sorted((real_run / "figures").glob("*.png"))
    assert len(pngs) >= 3 and len(srcs) == len(pngs)
    embedded = {base64.b64decode(s.split(",", 1)[1]) for s in srcs}
    assert embedded == {p.read_bytes() for p in pngs}
    assert "missing figure" not in text
    cfg = json.loads((real_run / "config.json").read_text())
    assert cfg["n_patches"] == 2000
    assert "<code>n_patches</code></th><td><code>2000</code>" in text
    assert "<code>sampling.thin</code></th><td><code>2</code>" in text
    assert "Table 1" in text and "table1_authors_code.csv" in text
    assert text.count("<table") >= 5


@pytest.mark.parametrize("missing", RUN_REQUIRED_FILES)
def test_unfinished_run_is_one_line_error(fake_run, missing):
    (fake_run / missing).unlink()
    with pytest.raises(BoltzpruneError, match=re.escape(f"{missing} is missing")) as e:
        write_run_html(fake_run)
    assert "\n" not in str(e.value)
    assert not (fake_run / "report.html").exists()


def test_not_a_directory(tmp_path):
    with pytest.raises(BoltzpruneError, match="run directory not found"):
        write_run_html(tmp_path / "nope")


def test_bad_json_is_one_line_error(fake_run):
    (fake_run / "config.json").write_text("{not json")
    with pytest.raises(BoltzpruneError, match="config.json: not valid JSON"):
        write_run_html(fake_run)


def test_missing_and_external_images_are_placeholders(tmp_path):
    (tmp_path / "a.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    md = ("![there](a.png)\n\n![gone](figures/gone.png)\n\n"
          "![web](https://example.org/x.png)\n\n![up](../secret.png)\n\n"
          "inline ![gone too](b.png) here\n")
    got: list[Path] = []
    out = markdown_html(md, tmp_path, images=got)
    assert got == [(tmp_path / "a.png").resolve()]
    assert len(IMG_SRC.findall(out)) == 1
    assert "[missing figure: figures/gone.png]" in out
    assert "[external image not embedded: https://example.org/x.png]" in out
    assert "[image outside the report folder not embedded: ../secret.png]" in out
    assert '<span class="missing"' in out and "[missing figure: b.png]" in out
    assert "example.org" not in "".join(IMG_SRC.findall(out))
    assert "missing figure: nope.png" in figure_html(tmp_path / "nope.png", "cap")
    with pytest.raises(BoltzpruneError, match="nope.png: image not found"):
        figure_html(tmp_path / "nope.png", missing_ok=False)


def test_building_blocks_escape_and_align():
    t = table_html([["<a>", 1, 0.123456789], {"name": "b&c", "n": 2, "x": None}],
                   ["name", "n", "x"], caption="<cap>")
    assert "&lt;a&gt;" in t and "b&amp;c" in t and "&lt;cap&gt;" in t
    assert '<td class="num">0.123457</td>' in t and '<th scope="col" class="num">n</th>' in t
    assert '<th scope="col">name</th>' in t
    short = table_html([[i] for i in range(10)], ["i"], max_rows=3)
    assert short.count("<tr>") == 4 and "7 more not shown" in short
    with pytest.raises(ValueError, match="row 1 has 2 cells"):
        table_html([[1, 2]], ["a"])
    c = config_html({"a": {"b": [1, 2], "c": {"d": "<x>"}}, "e": [{"f": True}]})
    for key in ("a.b", "a.c.d", "e[0].f"):
        assert f"<code>{key}</code>" in c
    assert "&lt;x&gt;" in c and "<code>true</code>" in c
    assert "<code>3.11</code>" in versions_html({"python": "3.11"})
    page = render_html("T <1>", [Section("One", "<p>x</p>"), Section("One", "<p>y</p>")])
    assert "<h1>T &lt;1&gt;</h1>" in page
    assert 'href="#one"' in page and 'href="#one-2"' in page
    assert_self_contained(page)


# ---------------------------------------------------------------------------------------
# Rendered in headless Chromium


def _chromium(tmp: Path, url: str, *extra: str) -> subprocess.CompletedProcess:
    if not CHROMIUM.exists():
        pytest.skip(f"chromium not found at {CHROMIUM}: install Debian's chromium package "
                    "(apt-get install chromium) to check the rendered HTML report")
    profile = tmp / "chromium-profile"
    profile.mkdir(exist_ok=True)
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--disable-dev-shm-usage", "--disable-extensions",
           "--hide-scrollbars", "--force-device-scale-factor=1", "--mute-audio",
           f"--user-data-dir={profile}", *extra, url]
    env = {**os.environ, "HOME": str(tmp)}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env,
                          check=False)


def screenshot(html_path: Path, png: Path, height: int = 3000, width: int = 1200
               ) -> np.ndarray:
    """The page at ``width`` px wide as an (height, width, 3) uint8 array."""
    r = _chromium(png.parent, html_path.resolve().as_uri(), f"--screenshot={png}",
                  f"--window-size={width},{height}")
    assert png.is_file(), f"chromium wrote no screenshot:\n{r.stderr[-2000:]}"
    img = mpimg.imread(png)
    return (np.asarray(img)[..., :3] * 255).round().astype(np.uint8)


def colour_pixels(img: np.ndarray, colour: tuple[int, int, int], tol: int = 10) -> int:
    return int((np.abs(img.astype(int) - np.array(colour)).max(axis=-1) <= tol).sum())


def test_rendered_fake_run(fake_run, tmp_path):
    path = write_run_html(fake_run)
    img = screenshot(path, tmp_path / "report.png")
    assert img.shape == (3000, 1200, 3)
    # Not blank: plenty of non-white pixels over the page.
    assert (img.min(axis=-1) < 235).mean() > 0.05
    # The title band: the header colour across the top, with light title text on it.
    band = img[:70]
    assert colour_pixels(band, (0x2B, 0x4C, 0x7E)) > 0.5 * band.shape[0] * band.shape[1]
    assert (band.min(axis=-1) > 200).sum() > 500
    # Both embedded figures drew their flat colour (240 x 160 px each, 80 % of it).
    assert colour_pixels(img, MAGENTA) > 20_000
    assert colour_pixels(img, GREEN) > 20_000
    # The DOM as Chromium parsed it: title, images, tables.
    dom = _chromium(tmp_path, path.resolve().as_uri(), "--dump-dom").stdout
    assert f"<h1>{TITLE}</h1>" in dom
    assert len(IMG_SRC.findall(dom)) == 3 and dom.count("<table") >= 5


def test_rendered_check_fails_for_broken_images(fake_run, tmp_path):
    """The colour check above would notice broken images: with every image's data
    replaced by bytes that are not a PNG, neither colour is on the page."""
    path = write_run_html(fake_run)
    text = path.read_text(encoding="utf-8")
    broken = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+",
                    "data:image/png;base64," + base64.b64encode(b"broken").decode(), text)
    assert broken != text
    path.write_text(broken, encoding="utf-8")
    img = screenshot(path, tmp_path / "broken.png")
    assert colour_pixels(img, MAGENTA) < 100 and colour_pixels(img, GREEN) < 100


def test_rendered_real_run(real_run, tmp_path):
    path = write_run_html(real_run)
    img = screenshot(path, tmp_path / "real.png", height=4000)
    assert (img.min(axis=-1) < 235).mean() > 0.05
    # The real figures' tab:blue curves (variance) are drawn.
    assert colour_pixels(img, TAB_BLUE, tol=6) > 500


# ---------------------------------------------------------------------------------------
# Readable figures at a 1280-px window: every report the CLI writes, rendered in Chromium

WINDOW = 1280
MIN_TEXT_PX = 9.0
CSP = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>\n?')
# Run on load: every image's rendered and natural width, and the smallest computed font
# size of any element holding text, written into data- attributes that --dump-dom shows.
PROBE = """<script>
addEventListener("load", () => {
  document.querySelectorAll("img").forEach((im, i) => {
    im.dataset.probe = i + ":" + im.clientWidth + ":" + im.naturalWidth;  // no border
  });
  let min = Infinity, which = "";
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const text = walk.currentNode.textContent.trim();
    if (!text) continue;
    const el = walk.currentNode.parentElement;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < min) { min = size; which = el.tagName + " " + text.slice(0, 40); }
  }
  document.body.dataset.minFont = min;
  document.body.dataset.minFontText = which;
  document.body.dataset.pageWidth = document.documentElement.scrollWidth;
});
</script>"""
PROBED = re.compile(r'data-probe="(\d+):([\d.]+):(\d+)"')


def measure_page(html_path: Path, tmp: Path) -> dict:
    """The page as Chromium lays it out at WINDOW px: for each <img> (in page order) its
    alt text, rendered and natural width and the layout check stored in its PNG; the
    smallest font size of the page's own text; the page's scroll width. A 1280-px
    screenshot is kept in ``tmp``."""
    from boltzprune.app.figures import read_layout

    tmp.mkdir(parents=True, exist_ok=True)
    text = html_path.read_text(encoding="utf-8")
    probe = tmp / f"{html_path.stem}.probe.html"
    probe.write_text(CSP.sub("", text, count=1).replace("</body>", PROBE + "</body>", 1),
                     encoding="utf-8")
    dom = _chromium(tmp, probe.resolve().as_uri(), "--dump-dom",
                    f"--window-size={WINDOW},1000", "--virtual-time-budget=5000").stdout
    sizes = {int(i): (float(r), int(n)) for i, r, n in PROBED.findall(dom)}
    imgs = re.findall(r'<img\b[^>]*\bsrc="data:image/png;base64,([^"]*)"[^>]*\balt="([^"]*)"',
                      text)
    assert len(sizes) == len(imgs) > 0, f"{html_path.name}: probe saw {len(sizes)} images"
    figures = []
    for i, (data, alt) in enumerate(imgs):
        rendered, natural = sizes[i]
        figures.append({"alt": html.unescape(alt), "rendered": rendered, "natural": natural,
                        "layout": read_layout(base64.b64decode(data))})
    body = re.search(r'<body data-min-font="([\d.]+)" data-min-font-text="([^"]*)" '
                     r'data-page-width="(\d+)"', dom)
    assert body, f"{html_path.name}: the probe script did not run"
    screenshot(html_path, tmp / f"{html_path.stem}.{WINDOW}.png", height=2400, width=WINDOW)
    return {"figures": figures, "min_html_px": float(body[1]),
            "min_html_text": html.unescape(body[2]), "page_width": int(body[3])}


def readability_problems(page: dict) -> list[str]:
    """What the readers of the issue would trip over: text under MIN_TEXT_PX on screen
    (figure text scaled by the image's rendered / natural width), legends on the data,
    an axis with a single labelled tick, figures without a layout check, a page wider
    than the window."""
    bad = []
    for f in page["figures"]:
        lay = f["layout"]
        if lay is None:
            bad.append(f"figure {f['alt']!r}: its PNG has no layout check (not written by "
                       "save_figure)")
            continue
        px = lay["min_font_px"] * f["rendered"] / f["natural"]
        if px < MIN_TEXT_PX:
            bad.append(f"figure {f['alt']!r}: smallest text {px:.1f} px on screen "
                       f"({lay['min_font_px']} px in the PNG, shown at {f['rendered']:.0f} of "
                       f"{f['natural']} px; text {lay['min_font_text']!r})")
        for o in lay["legend_overlaps"]:
            bad.append(f"figure {f['alt']!r}: {o['legend']} covers {o['artist']} in "
                       f"{o['axes']}")
        for t in lay["sparse_ticks"]:
            bad.append(f"figure {f['alt']!r}: {t}")
    if page["min_html_px"] < MIN_TEXT_PX:
        bad.append(f"page text {page['min_html_px']} px: {page['min_html_text']!r}")
    if page["page_width"] > WINDOW:
        bad.append(f"page {page['page_width']} px wide at a {WINDOW}-px window")
    return bad


def _smallest_on_screen(page: dict) -> float:
    return min(f["layout"]["min_font_px"] * f["rendered"] / f["natural"]
               for f in page["figures"] if f["layout"])


@pytest.fixture(scope="module")
def dbm_run(tmp_path_factory):
    """A real, tiny DBM run made with the CLI."""
    from boltzprune.app.cli import main

    out = tmp_path_factory.mktemp("dbm") / "run"
    assert main(["dbm-mnist", "--seeds", "0", "--n-train", "300", "--iterations", "2",
                 "--criteria", "variance", "anti_fi", "--n-generate", "300",
                 "--workers", "1", "--out", str(out), "--no-progress",
                 "--set", "recipe.likelihood.n_betas=200"]) == 0
    return out


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    """A real, tiny sweep: 2 criteria x 2 data sizes x 2 seeds (so its figure has error
    bars and a legend)."""
    from boltzprune.app.cli import main

    tmp = tmp_path_factory.mktemp("sweep")
    (tmp / "sweep.toml").write_text(
        'experiment = "rbm-patches"\nbase = "rbm-authors-code"\nworkers = 2\n\n'
        "[settings]\niterations = 1\n"
        "sampling = { n_samples = 200, n_chains = 50, burn_in = 5, thin = 2 }\n\n"
        "[settings.training.authors_code]\nepochs = 1\n\n"
        '[grid]\ncriteria = ["variance", "random"]\nseeds = [0, 1]\n'
        "n_patches = [600, 1000]\n")
    out = tmp / "out"
    assert main(["sweep", str(tmp / "sweep.toml"), "--out", str(out), "--no-progress"]) == 0
    return out


@pytest.fixture(scope="module")
def user_data_run(tmp_path_factory):
    """A real, tiny ``boltzprune prune DATA`` run on labelled patterns (so it has the
    readout panel too)."""
    from boltzprune.app.cli import main

    tmp = tmp_path_factory.mktemp("userdata")
    rng = np.random.default_rng(0)
    proto = rng.random((4, 10)) < 0.4
    y = rng.integers(0, 4, 500)
    x = (proto[y] ^ (rng.random((500, 10)) < 0.08)).astype(np.uint8)
    np.savez(tmp / "labelled.npz", x=x, y=y)
    out = tmp / "run"
    assert main(["prune", str(tmp / "labelled.npz"), "--hidden", "12", "--iterations", "2",
                 "--out", str(out), "--fi-samples", "300", "--set", "sampling.n_chains=100",
                 "--set", "sampling.burn_in=20", "--set", "sampling.thin=5", "--workers",
                 "1", "--no-progress"]) == 0
    return out


@pytest.fixture(scope="module")
def chromium_tmp(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip(f"chromium not found at {CHROMIUM}")
    return tmp_path_factory.mktemp("readable")


@pytest.mark.parametrize("which", ["rbm", "dbm", "sweep", "user_data", "online"])
def test_reports_readable_at_1280px(which, request, chromium_tmp):
    """Every report at a 1280-px window: all text (figures scaled to their on-screen
    size, and the page's own) at least 9 px, no legend on plotted data, no page wider
    than the window."""
    if which == "sweep":
        page_path = request.getfixturevalue("sweep_dir") / "summary.html"
    else:
        run = request.getfixturevalue({"rbm": "real_run", "dbm": "dbm_run",
                                       "user_data": "user_data_run",
                                       "online": "online_run"}[which])
        page_path = run / "report.html"
        assert page_path.is_file()
    page = measure_page(page_path, chromium_tmp / which)
    print(f"{which}: smallest figure text {_smallest_on_screen(page):.1f} px on screen, "
          f"page text {page['min_html_px']} px, {len(page['figures'])} figures")
    problems = readability_problems(page)
    assert not problems, f"{which} report at {WINDOW} px:\n" + "\n".join(problems)


def test_readability_check_fails_for_bad_figures(chromium_tmp):
    """The 1280-px check above would notice: a 5-pt annotation, a legend on the line, a
    figure so wide that the page scales its 9-pt text below 9 px, and a log axis with one
    labelled tick are each named."""
    from boltzprune.app.figures import new_figure, save_figure

    tmp = chromium_tmp / "bad"
    tmp.mkdir()
    fig = new_figure((5, 3.5))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], label="diagonal")
    ax.legend(loc="upper left", bbox_to_anchor=(0.3, 0.7))
    ax.annotate("tiny note", (0.6, 0.2), fontsize=5)
    save_figure(fig, tmp / "small.png")
    fig = new_figure((30, 3))
    ax = fig.add_subplot()
    ax.plot([225e3, 279e3], [0, 1])
    ax.set_xscale("log")
    ax.set_xticks([3e5], ["300k"])  # the old Figure 3 axis of a small run
    ax.minorticks_off()
    save_figure(fig, tmp / "wide.png")
    page = tmp / "bad.html"
    page.write_text(render_html("bad figures", [Section("Figures", figure_html(
        tmp / "small.png", "small font") + figure_html(tmp / "wide.png", "too wide"))]))
    problems = "\n".join(readability_problems(measure_page(page, tmp)))
    assert "figure 'small font': smallest text 7.6 px on screen" in problems
    assert "'tiny note'" in problems
    assert "figure 'small font': legend of axes 0 covers Line2D 'diagonal'" in problems
    assert re.search(r"figure 'too wide': smallest text [5-8]\.\d px on screen", problems)
    assert "figure 'too wide': axes 0: x axis has one labelled tick ('300k')" in problems
