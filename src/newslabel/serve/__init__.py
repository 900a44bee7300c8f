"""7. serve: the labeller as one MLflow pyfunc, over HTTP and on Spark.

`pyfunc` is the model class, `labeller_code` its models-from-code file, `requests` reads and checks request
bodies, `http` is the server, `spark` the Spark engine.
"""
