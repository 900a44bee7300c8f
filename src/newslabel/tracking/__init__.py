"""The MLflow side: the store and runs (`store`), what the UI shows (`runinfo`), model files (`model_files`),
the champion rule (`promotion`) and the registry (`registry`)."""
