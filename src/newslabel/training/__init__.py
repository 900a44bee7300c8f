"""5. training: fit a task's pipeline (`fit`), evaluate it (`evaluate`), and track, promote and publish
every task of a training run (`run`)."""
