"""The synthetic voice corpus: literature trends, a source-filter voice, a recording chain.

- :mod:`workbook.synthetic.trends`       age and gender trends of the voice, with citations
- :mod:`workbook.synthetic.voice`        source-filter synthesis with ground truth
- :mod:`workbook.synthetic.recording`    channels, noises, clicks, clipping
- :mod:`workbook.synthetic.corpus`       the corpus on disk, its manifest and example clips
- :mod:`workbook.synthetic.ground_truth` checks of the features against the latent truth

The corpus is synthetic: scores on it show the pipeline works, not how real voices behave.
"""

__all__ = []
