"""The upload panel of notebook 07: upload a recording, hear it, see it and its prediction.

The uploaded bytes are written to a temporary folder (outside the project: recordings are
never copied into the repository) and predicted by the ``Predictor`` the notebook passes
in, so an unreadable upload gets the same clear error as on the command line. The panel
draws into ``HTML`` and ``Image`` widgets (never a capturing ``Output``, which can stall
headless runs); notebook 07 shows the same figure statically for the example clips.

Notebook: 07_predict
"""

from __future__ import annotations

import base64
import html
import io
import tempfile
from pathlib import Path

import ipywidgets as widgets
from matplotlib.figure import Figure

from helpers.audio import AudioLoadError, load_audio
from helpers.model_plots import plot_prediction

__all__ = ["UploadPanel"]

_MIME = {".wav": "audio/wav", ".flac": "audio/flac", ".ogg": "audio/ogg", ".mp3": "audio/mpeg"}


class UploadPanel(widgets.VBox):
    """A FileUpload button; each uploaded recording is shown below it with a player, its
    spectrogram and the predicted probabilities (or the reason it could not be predicted).

    ``predictor``: a ``workbook.predict.Predictor`` (anything with ``predict_files(paths)``,
    ``card`` and ``job.sr``). ``results`` holds the prediction row of every file shown.

    Notebook: 07_predict
    """

    def __init__(self, predictor):
        self.predictor = predictor
        self.folder = Path(tempfile.mkdtemp(prefix="voice_upload_"))
        self.results: list[dict] = []
        self.upload = widgets.FileUpload(accept=",".join(_MIME), multiple=True, description="recording(s)")
        self.shown = widgets.VBox()
        super().__init__([widgets.HTML("Upload a recording (wav, flac, ogg or mp3; any rate, mono or stereo):"),
                          self.upload, self.shown])
        self.upload.observe(self._on_upload, names="value")

    def __repr__(self) -> str:
        return f"UploadPanel({len(self.results)} file(s) shown; run the notebook live to upload)"

    def _on_upload(self, change) -> None:
        self.shown.children = [self.show(item["name"], bytes(item["content"])) for item in change["new"]]

    def show(self, name: str, content: bytes) -> widgets.VBox:
        """Save one upload, predict it and return its player, text and figure as widgets."""
        path = self.folder / Path(name).name
        path.write_bytes(content)
        row = self.predictor.predict_files([path]).iloc[0].to_dict()
        self.results.append(row)
        mime = _MIME.get(path.suffix.lower(), "audio/wav")
        player = f'<audio controls src="data:{mime};base64,{base64.b64encode(content).decode("ascii")}"></audio>'
        if row.get("status") != "ok":
            return widgets.VBox([widgets.HTML(f"<b>{html.escape(name)}</b>: {html.escape(str(row.get('error')))}")])
        text = f"<b>{html.escape(name)}</b>: " + "; ".join(
            f"{label.replace('_', ' ')} <b>{row[label]}</b> (p={row[f'{label}_probability']:.2f})"
            for label in ("age_group", "gender") if label in row)
        try:
            y, sr = load_audio(path, sr=self.predictor.job.sr)
        except AudioLoadError as exc:  # predicted, but not readable here: say so instead of a figure
            return widgets.VBox([widgets.HTML(f"{text}<br>{player}<br>{html.escape(exc.problem)}")])
        fig = Figure(figsize=(11.0, 3.0), dpi=72, layout="constrained")
        plot_prediction(y, sr, row, self.predictor.card, fig=fig, title=name)
        png = io.BytesIO()
        fig.savefig(png, format="png")
        return widgets.VBox([widgets.HTML(f"{text}<br>{player}"), widgets.Image(value=png.getvalue(), format="png")])
