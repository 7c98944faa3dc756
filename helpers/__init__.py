"""helpers: the one copy of every function the voice-age workbook's notebooks call.

Modules by concern:

- :mod:`helpers.audio`     reading recordings (any format to mono float32)
- :mod:`workbook.manifest`  the one table shape every data set is loaded into
- :mod:`workbook.synthetic` the synthetic voice corpus (default, offline data)
- :mod:`workbook.datasets`  finding, generating and loading data sets by name
- :mod:`workbook.sources`   real data: Common Voice (release and Kaggle layouts), the
  original bundle, AudioMNIST, any folder plus a CSV; downloads; load reports
- :mod:`helpers.spectral`  waveform, FFT, STFT, mel, MFCC and pitch computations
- :mod:`helpers.plots`     figures (every function takes ``ax=None``)
- :mod:`helpers.display`  audio players that keep notebooks small
- :mod:`helpers.examples` picking example clips from any data set
- :mod:`helpers.widgets`   interactive explorers (ipywidgets)
- :mod:`workbook.runner`    headless execution of the notebooks with papermill

Submodules are imported on use, so ``import helpers`` stays cheap.
"""

__version__ = "0.1.0"
