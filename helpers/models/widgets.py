"""The upload panel of notebook 06: a learner uploads a recording, hears it, sees it and its prediction.

The uploaded bytes are written to a temporary file (outside the project: recordings are
never copied into the repository), read with the same loader as every other file, and
predicted with :class:`workbook.predict.Predictor`, so an unreadable upload gets the
same clear error as on the command line. The static figures of notebook 06 show the same
panel for a fixed clip.

Notebook: 06_predict
"""

from __future__ import annotations

import tempfile
from pathlib import Path


def _uploaded_files(value) -> list[tuple[str, bytes]]:
    """(name, content) of every file in an ``ipywidgets.FileUpload`` value (ipywidgets 7 and 8)."""
    items = value.values() if isinstance(value, dict) else value
    out = []
    for item in items:
        name = item.get("name") or item.get("metadata", {}).get("name", "upload")
        out.append((str(name), bytes(item["content"])))
    return out


def show_prediction(predictor, path: str | Path, *, label: str | None = None) -> dict:
    """Display a player, the spectrogram and the prediction of one file; return the prediction row.

    Notebook: 06_predict
    """
    import matplotlib.pyplot as plt
    from IPython.display import display

    from helpers.audio import AudioLoadError, load_audio
    from helpers.display import audio_player
    from helpers.models.plots import plot_prediction
    from workbook.predict import format_prediction

    row = predictor.predict_files([path]).iloc[0].to_dict()
    print(format_prediction(row, predictor.card))
    try:
        y, sr = load_audio(path, sr=predictor.job.sr)
    except AudioLoadError:
        return row
    display(audio_player(y, sr, label=label or Path(path).name))
    fig = plot_prediction(y, sr, row, predictor.card, title=label or Path(path).name)
    display(fig)
    plt.close(fig)
    return row


def upload_panel(predictor):
    """A FileUpload button; each uploaded recording is shown with its prediction below it.

    Notebook: 06_predict
    """
    import ipywidgets as widgets

    upload = widgets.FileUpload(accept=".wav,.flac,.ogg,.mp3", multiple=True, description="recording(s)")
    out = widgets.Output()
    folder = Path(tempfile.mkdtemp(prefix="voice_upload_"))

    def on_upload(change):
        with out:
            out.clear_output(wait=True)
            for name, content in _uploaded_files(change["new"]):
                path = folder / Path(name).name
                path.write_bytes(content)
                show_prediction(predictor, path, label=name)

    upload.observe(on_upload, names="value")
    return widgets.VBox([widgets.HTML("Upload a recording (wav, flac, ogg or mp3; any rate, mono or stereo):"), upload, out])
