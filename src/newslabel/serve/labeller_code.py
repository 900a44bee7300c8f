"""The combined `newslabel` pyfunc as MLflow models-from-code: registry.publish_labeller logs this file.

MLflow runs it (instead of unpickling a wrapper object) when the model is loaded; `NewslabelModel` then loads
the four task models from the model's artifacts.
"""

from __future__ import annotations

import mlflow.models

from newslabel.serve.pyfunc import NewslabelModel

mlflow.models.set_model(NewslabelModel())
