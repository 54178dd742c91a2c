"""The layout check every saved figure carries: the smallest font in PNG pixels, legends
that cover plotted data, axes with a single labelled tick; stored in the PNG, which stays
byte-identical for the same figure."""

import numpy as np
import pytest

from boltzprune.app.figures import (
    LAYOUT_KEY,
    count_ticks,
    layout_check,
    legend_below,
    new_figure,
    read_layout,
    save_figure,
)


def _line_figure(legend_loc, **legend_kw):
    fig = new_figure((5, 3.5))
    ax = fig.add_subplot()
    x = np.linspace(0, 1, 50)
    ax.plot(x, x, label="diagonal")  # from the lower left to the upper right corner
    ax.legend(loc=legend_loc, **legend_kw)
    return fig


def test_legend_on_a_line_is_flagged():
    lay = layout_check(_line_figure("upper left", bbox_to_anchor=(0.3, 0.7)))
    assert [o["artist"] for o in lay["legend_overlaps"]] == ["Line2D 'diagonal'"]
    assert lay["legend_overlaps"][0]["legend"].startswith("legend of axes 0")


def test_legend_in_empty_space_passes():
    assert layout_check(_line_figure("upper left"))["legend_overlaps"] == []
    assert layout_check(_line_figure("lower right"))["legend_overlaps"] == []


def test_markers_only_count_by_their_size():
    fig = new_figure((5, 3.5))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], "o", ms=12, label="points")  # two markers, no line
    ax.set_xlim(-0.5, 1.5)
    ax.set_ylim(-0.5, 1.5)
    ax.legend(loc="center")  # between the markers: no overlap
    assert layout_check(fig)["legend_overlaps"] == []
    ax.legend(loc="center", bbox_to_anchor=(0.75, 0.75))  # on the upper marker
    assert len(layout_check(fig)["legend_overlaps"]) == 1


@pytest.mark.parametrize("where, hit", [("upper right", True), ("upper left", False)])
def test_legend_on_bars(where, hit):
    fig = new_figure((5, 3.5))
    ax = fig.add_subplot()
    ax.bar([0, 1, 2, 3], [0.2, 0.3, 0.6, 1.1], label="fraction")  # tall at the right
    ax.set_ylim(0, 1.15)
    ax.legend(loc=where)
    lay = layout_check(fig)
    assert bool(lay["legend_overlaps"]) is hit
    if hit:
        assert lay["legend_overlaps"][0]["artist"] == "Rectangle"


def test_fill_between_errorbar_and_image_are_data():
    fig = new_figure((9, 3))
    a, b, c = fig.subplots(1, 3)
    x = np.linspace(0, 1, 20)
    a.fill_between(x, 0, 1, alpha=0.3, label="band")
    b.errorbar([0.5], [0.5], yerr=[0.45], fmt="none", label="bar")
    c.imshow(np.zeros((4, 4)))
    for ax in (a, b):
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
    a.legend(loc="center")
    b.legend(loc="center")
    c.plot([], [], label="x")
    c.legend(loc="center")
    hits = {(o["axes"][:6], o["artist"]) for o in layout_check(fig)["legend_overlaps"]}
    assert hits == {("axes 0", "FillBetweenPolyCollection 'band'"),
                    ("axes 1", "LineCollection"),
                    ("axes 2", "AxesImage")}


def test_figure_legend_below_covers_nothing_and_any_legend_is_checked_everywhere():
    fig = new_figure((8, 3))
    axes = fig.subplots(1, 2)
    for ax in axes:
        ax.plot([0, 1], [0, 1], label="up")
        ax.plot([0, 1], [1, 0], label="down")
    fig.tight_layout()
    legend_below(fig)
    assert layout_check(fig)["legend_overlaps"] == []
    # a legend of the left axes pushed over the right one is caught there
    axes[0].legend(loc="center", bbox_to_anchor=(1.6, 0.5))
    lay = layout_check(fig)
    assert {o["axes"] for o in lay["legend_overlaps"]} == {"axes 1"}


def test_min_font_px_of_a_known_figure():
    """Sizes in points x dpi / 72: a 6-pt annotation at 120 dpi is 10 px; the shared style
    raises tiny tick labels to 9 pt (13.75 px at 110 dpi) in a new_figure."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1])
    ax.tick_params(labelsize=8)
    ax.set_title("title", fontsize=14)
    ax.annotate("small", (0.5, 0.5), fontsize=6)
    lay = layout_check(fig, dpi=120)
    assert lay["min_font_px"] == pytest.approx(10.0)
    assert lay["min_font_text"] == "small"
    ax.texts[0].set_visible(False)  # hidden text does not count
    assert layout_check(fig, dpi=120)["min_font_px"] == pytest.approx(8 * 120 / 72, abs=0.01)


def test_saved_png_carries_the_check_and_is_deterministic(tmp_path):
    from PIL import Image

    def draw(path):
        fig = new_figure((5, 3.5))
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1], label="diagonal")
        ax.tick_params(labelsize=5)  # raised to the style's 9 pt when saved
        ax.set_title("t", fontsize=7)
        ax.legend(loc="upper left", bbox_to_anchor=(0.3, 0.7))  # on the line
        save_figure(fig, path)

    draw(tmp_path / "a.png")
    draw(tmp_path / "b.png")
    data = (tmp_path / "a.png").read_bytes()
    assert data == (tmp_path / "b.png").read_bytes()
    lay = read_layout(data)
    assert lay == read_layout(tmp_path / "a.png")
    assert lay["min_font_px"] == pytest.approx(9 * 110 / 72, abs=0.01)
    assert len(lay["legend_overlaps"]) == 1
    with Image.open(tmp_path / "a.png") as im:
        assert LAYOUT_KEY in im.info
        assert abs(im.size[0] - lay["width_px"]) <= 1
        assert abs(im.size[1] - lay["height_px"]) <= 1


def test_a_log_axis_over_a_narrow_range():
    """A log axis over less than a decade shows one tick by default (flagged); the
    count_ticks helper labels the data's own values, never two that run together."""
    def fig_for(values, helper):
        fig = new_figure((4, 3))
        ax = fig.add_subplot()
        ax.plot(values, range(len(values)), "o-")
        ax.set_xscale("log")
        if helper:
            count_ticks(ax, values)
        else:  # the old Figure 3 axis: the one round tick near the range
            ax.set_xticks([3e5], ["300k"])
            ax.minorticks_off()
        return fig, ax

    values = [279_236, 251_000, 226_000, 225_400]
    fig, _ = fig_for(values, helper=False)
    assert layout_check(fig)["sparse_ticks"] == ["axes 0: x axis has one labelled tick "
                                                 "('300k')"]
    fig, ax = fig_for(values, helper=True)
    lay = layout_check(fig)
    assert lay["sparse_ticks"] == []
    assert [t.get_text() for t in ax.get_xticklabels()] == ["225k", "251k", "279k"]
    fig, ax = fig_for([1e3, 1e6], helper=True)  # three decades: round values
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1k", "10k", "100k", "1M"]
