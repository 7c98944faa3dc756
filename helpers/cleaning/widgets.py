"""The interactive cleaning panel: choose clip, method, ``top_db``, strength; hear and see.

:func:`cleaning_panel` returns a :class:`CleaningPanel`, an ipywidgets ``VBox`` with
controls for the clip, the noise-reduction method, its strength (``prop_decrease``),
``top_db``, click repair and the SNR gate, players for the input and the cleaned,
trimmed result, the notes :func:`helpers.cleaning.clean` returned, the SI-SDR against the
clean reference where one is known, and the before/after figure
(:func:`helpers.cleaning.plots.plot_cleaning_figure`, rendered off-screen to PNG so it
works with any matplotlib backend and can be driven in tests by setting a control's
``value``). Static figures in the notebook show the same thing for headless runs.

Notebook: 02_cleaning
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from helpers.display import audio_player
from helpers.widgets import figure_png, show_png, show_text
from helpers.cleaning.evaluate import si_sdr_db
from helpers.cleaning.pipeline import DEFAULT_CLEANING, clean, resolve_cleaning
from helpers.cleaning.plots import plot_cleaning_figure

#: Methods offered by the panel (None: no noise reduction).
PANEL_METHODS = (("none", None), ("stationary", "stationary"), ("non-stationary", "nonstationary"))


class CleaningPanel(widgets.VBox):
    """The panel widget. ``controls``: name -> widget; ``output``: the figure area;
    ``result``: the latest :class:`helpers.cleaning.CleaningResult`; ``last_png``: the latest
    figure; ``n_draws``: redraw count; ``last_error``: message of a failed redraw.
    """

    def __init__(
        self,
        clips: Mapping[str, np.ndarray],
        sr: int,
        *,
        references: Mapping[str, np.ndarray] | None = None,
        truths: Mapping[str, tuple[float, float]] | None = None,
        cleaning=DEFAULT_CLEANING,
        figsize: tuple[float, float] = (8.5, 6.0),
        dpi: int = 72,
    ):
        if not clips:
            raise ValueError("cleaning_panel needs at least one clip (label -> samples)")
        self.clips = {str(k): np.asarray(v, dtype=np.float32) for k, v in clips.items()}
        self.references = {str(k): np.asarray(v, dtype=np.float32) for k, v in (references or {}).items()}
        self.truths = {str(k): v for k, v in (truths or {}).items()}
        self.sr = int(sr)
        self.figsize, self.dpi = figsize, dpi
        label, base = resolve_cleaning(cleaning)
        self.base = base
        self.base_label = label.split("+")[0]
        self.result = None
        self.last_png: bytes = b""
        self.last_error: str | None = None
        self.n_draws = 0
        style = {"description_width": "90px"}
        self.controls = {
            "clip": widgets.Dropdown(options=list(self.clips), description="clip", style=style),
            "method": widgets.ToggleButtons(
                options=list(PANEL_METHODS), value=base["denoise"], description="noise red.", style=style
            ),
            "strength": widgets.FloatSlider(
                value=float(base["prop_decrease"]), min=0.0, max=1.0, step=0.05, description="strength",
                continuous_update=False, style=style,
            ),
            "top_db": widgets.IntSlider(
                value=int(base["top_db"] or 25), min=5, max=60, step=1, description="top_db (dB)",
                continuous_update=False, style=style,
            ),
            "clicks": widgets.Checkbox(value=bool(base["clicks"]), description="repair clicks"),
            "snr_gate": widgets.Checkbox(
                value=base["max_snr_db"] is not None,
                description=f"only if blind SNR < {base['max_snr_db'] or 20:g} dB",
            ),
        }
        self.players = widgets.HTML()
        self.info = widgets.HTML()
        self.output = widgets.Output()
        c = self.controls
        super().__init__(
            children=[
                widgets.HBox([c["clip"], c["clicks"], c["snr_gate"]]),
                c["method"],
                widgets.HBox([c["strength"], c["top_db"]]),
                self.players,
                self.info,
                self.output,
            ]
        )
        for control in c.values():
            control.observe(self._on_change, names="value")
        self.redraw()

    def __repr__(self) -> str:
        return f"CleaningPanel({len(self.clips)} clips: {', '.join(self.clips)}; run the notebook live to use the controls)"

    def _on_change(self, _change) -> None:
        self.redraw()

    def params(self) -> dict:
        """The cleaning parameters the controls currently describe (for :func:`clean`)."""
        c = self.controls
        preset = {"preset": self.base_label} if self.base_label not in ("custom",) else {}
        return {
            **preset,
            **self.base,
            "denoise": c["method"].value,
            "prop_decrease": float(c["strength"].value),
            "top_db": float(c["top_db"].value),
            "clicks": bool(c["clicks"].value),
            "max_snr_db": (self.base["max_snr_db"] or 20.0) if c["snr_gate"].value else None,
        }

    def render(self):
        """Clean the chosen clip with the current settings; return ``(result, png_bytes)``."""
        label = self.controls["clip"].value
        y = self.clips[label]
        self.controls["strength"].disabled = self.controls["method"].value is None
        result = clean(y, self.sr, self.params(), name=label)
        fig = Figure(figsize=self.figsize, dpi=self.dpi, layout="constrained")
        plot_cleaning_figure(y, result, truth_s=self.truths.get(label), fig=fig, title=f"{label}: {result.label}")
        return result, figure_png(fig, dpi=self.dpi)

    def _info_html(self, label: str, result) -> str:
        lines = [html.escape(result.summary().splitlines()[0])]
        ref = self.references.get(label)
        if ref is not None and len(ref) == len(result.y_untrimmed):
            before = si_sdr_db(self.clips[label], ref)
            after = si_sdr_db(result.y_untrimmed, ref)
            lines.append(f"SI-SDR against the clean reference: {before:.1f} dB → {after:.1f} dB ({after - before:+.1f} dB)")
        lines += [f"note: {html.escape(n)}" for n in result.notes]
        return "<div style='font-size:0.9em'>" + "<br>".join(lines) + "</div>"

    def redraw(self) -> None:
        """Re-clean and redraw for the current settings (errors are shown, not raised)."""
        label = self.controls["clip"].value
        try:
            result, png = self.render()
        except Exception as exc:  # shown to the reader; the panel stays usable
            self.last_error = f"{type(exc).__name__}: {exc}"
            show_text(self.output, f"cannot clean {label!r} with {self.params()}: {self.last_error}\n")
            return
        self.last_error = None
        self.result, self.last_png = result, png
        self.n_draws += 1
        players = [audio_player(self.clips[label], self.sr, label="input")]
        if len(result.y):
            players.append(audio_player(result.y, self.sr, label="cleaned and trimmed"))
        self.players.value = "".join(p._repr_html_() for p in players)
        self.info.value = self._info_html(label, result)
        show_png(self.output, png, f"<cleaning of {label}>")


def cleaning_panel(
    clips: Mapping[str, np.ndarray],
    sr: int,
    *,
    references: Mapping[str, np.ndarray] | None = None,
    truths: Mapping[str, tuple[float, float]] | None = None,
    cleaning=DEFAULT_CLEANING,
) -> CleaningPanel:
    """An interactive cleaning panel for ``clips`` (label -> samples at ``sr`` Hz).

    ``references`` (label -> clean samples, same length) adds the SI-SDR before and after;
    ``truths`` (label -> true (start_s, end_s)) draws the true boundaries. The controls
    start from ``cleaning`` (a preset name or parameter dict). Returns the widget (display
    it as a cell's last expression).

    Notebook: 02_cleaning
    """
    return CleaningPanel(clips, sr, references=references, truths=truths, cleaning=cleaning)
