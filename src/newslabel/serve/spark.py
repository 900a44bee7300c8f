"""The Spark engine: pages (JSONL or Parquet) -> one Parquet row a passage, through `mlflow.pyfunc.spark_udf`.

    python -m src.label --engine spark pages/ --out labels.parquet [--master local[*]] [--id-col id] [--text-col text]

The only module that imports pyspark (lazily: `import newslabel.serve.spark` works without it).

How a page is labelled: the registered `newslabel` pyfunc (serving.NewslabelModel) answers one row a
*passage*, but a Spark UDF must answer one value an *input row*. So the driver saves `PagesModel`, a
pyfunc whose one artifact is a copy of the registered model, into a temporary folder, and
`mlflow.pyfunc.spark_udf(spark, folder, result_type=<struct with an array of passage structs>,
env_manager="local")` runs it: one struct a page, which Spark explodes into passage rows. The labels
are the registered model's own `predict`, called a page at a time; the wrapper only packs each page's
rows and turns any exception into an error row, so a bad page never fails the job.

Where the model is read from: only the driver resolves `models:/newslabel@champion` (it needs the
MLflow tracking/registry store, or `--model` naming a copied model folder). In local mode the
executors load the driver's folder; on a cluster `spark_udf` ships it with the job
(SparkContext.addFile), so workers need the Python environment (newslabel installed) but no store.

Output: the local engine's fields, the page's metadata (types.PAGE_FIELDS; `author` an array<string>) and `error`
(serving.OUTPUT_COLUMNS; `source_path` is the input
file), partitioned by `bucket` = pmod(hash(doc_id), buckets) (Spark's Murmur3 `hash`), one file a
bucket, rows sorted by (doc_id, index). A hash bucket of the page id keeps every passage of a page in one file, spreads pages
evenly whatever their labels, and is stable across runs and clusters; partitioning by `role` would
split every page over six folders, most rows into `body`, and make many small files. Filter `role` as
a column (Parquet statistics and pushdown make that cheap).

Bad input becomes rows with `error` set and the other labels null: a JSONL line that is not JSON, a
record without an id or text, a page over `max_bytes`, text that is mostly control characters
(binary), an empty page, and any exception the model raises on a page.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import mlflow.pyfunc
import pandas as pd

from newslabel.serve.pyfunc import OUTPUT_COLUMNS

DEFAULT_MODEL = "models:/newslabel@champion"
DEFAULT_MASTER = "local[*]"
DEFAULT_BUCKETS = 16
PAGES_PER_ARROW_BATCH = 64  # pages handed to the model at a time (HTML pages can be large)
_LONG = {"index", "line"}
_DOUBLE = {"role_score", "topic_score", "stance_score", "bias_score"}
_BOOL = {"is_body"}
_ARRAY = {"author"}  # the page's author names (types.PAGE_FIELDS)
_CORRUPT = "_corrupt_record"


class SparkUnavailable(RuntimeError):
    """pyspark or a suitable Java is missing; the message says what to install."""


@dataclass
class SparkResult:
    pages: int  # pages labelled (at least one passage, no error)
    passages: int  # passage rows written
    failed: int  # error rows written (one a bad page or record)
    errors: list[str] = field(default_factory=list)  # the first few error messages


def passage_ddl() -> str:
    """The Spark type of one passage row, built from serving.OUTPUT_COLUMNS."""
    def kind(name: str) -> str:
        if name in _ARRAY:
            return "array<string>"
        return "bigint" if name in _LONG else "double" if name in _DOUBLE else "boolean" if name in _BOOL else "string"

    return "struct<" + ", ".join(f"`{c}`: {kind(c)}" for c in OUTPUT_COLUMNS) + ">"


def result_ddl() -> str:
    """The UDF's result: one struct a page holding the array of its passages."""
    return f"passages array<{passage_ddl()}>"


@contextmanager
def quiet():
    """Hide the warnings this engine answers by design: pickled python_model, no signature (the UDF is given
    its result type), env_manager="local" (workers run this environment), pyspark on pandas 3."""
    loggers = [logging.getLogger(n) for n in ("mlflow.pyfunc", "mlflow.models")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def _error_row(doc_id: str | None, message: str) -> dict:
    return {**dict.fromkeys(OUTPUT_COLUMNS), "doc_id": doc_id, "error": message}


def _str(value) -> str | None:
    return value if isinstance(value, str) else None


class PagesModel(mlflow.pyfunc.PythonModel):
    """The registered `newslabel` pyfunc, one row a page: `id`, `text`, `url`, `bad` in; `passages` out."""

    def load_context(self, context) -> None:
        self.newslabel = mlflow.pyfunc.load_model(context.artifacts["newslabel"]).unwrap_python_model()

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return pd.DataFrame({"passages": [self._page(rec) for rec in model_input.to_dict("records")]})

    def _page(self, rec: dict) -> list[dict]:
        from newslabel.errors import InputError
        from newslabel.ingest.decoding import check_text, drop_html_nuls

        doc_id, text, bad = _str(rec.get("id")), _str(rec.get("text")), _str(rec.get("bad"))
        if bad:
            return [_error_row(doc_id, bad)]
        try:
            if text is not None:
                # ingest's rule for files (mostly control characters = binary), after label_page's NUL repair
                check_text(doc_id, drop_html_nuls(doc_id, text)[0])
            frame = pd.DataFrame([{"id": doc_id, "text": text, "url": _str(rec.get("url"))}])
            return self.newslabel.predict(None, frame).to_dict("records")
        except InputError as exc:
            return [_error_row(doc_id, str(exc))]
        except Exception as exc:  # noqa: BLE001 - a page that breaks the model is an error row, not a failed job
            return [_error_row(doc_id, f"{doc_id}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")]


def java_problem() -> str | None:
    """Why Spark cannot start here (no java, or older than 17), or None."""
    import re
    import subprocess

    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not Path(java).exists():
        return "java not found (Spark 4 needs Java 17 or 21: apt-get install openjdk-17-jre-headless)"
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{java} -version failed ({exc})"
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    major = int(m.group(2) if m and m.group(1) == "1" else m.group(1)) if m else 0
    return None if major >= 17 else f"{java} is Java {major or '?'}; Spark 4 needs Java 17 or 21"


def spark_problem() -> str | None:
    """Why the Spark engine cannot run here (pyspark or Java missing), or None."""
    import importlib.util

    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install -e '.[spark]')"
    return java_problem()


def save_pages_model(model_uri: str, folder: Path) -> Path:
    """Save PagesModel with a copy of `model_uri` (registry URI, runs:/ URI or folder) into folder/pages-model.

    Fails here, on the driver, with ModelLoadError when the URI cannot be fetched or is not a newslabel
    labeller (checked from its MLmodel file, without loading it).
    """
    from mlflow.exceptions import MlflowException
    from mlflow.models import Model

    from newslabel.errors import ModelLoadError
    from newslabel.tracking.model_files import pip_requirements

    path = folder / "pages-model"
    try:
        mlflow.pyfunc.save_model(path, python_model=PagesModel(), artifacts={"newslabel": model_uri},
                                 pip_requirements=pip_requirements() + [f"mlflow=={mlflow.__version__}"])
        copied = Model.load(str(path)).flavors["python_function"]["artifacts"]["newslabel"]["path"]
        inner = Model.load(str(path / copied)).flavors.get("python_function") or {}
    except (MlflowException, OSError, KeyError) as exc:
        raise ModelLoadError(f"{model_uri}: cannot load model ({(str(exc) or type(exc).__name__).splitlines()[0]})") \
            from None
    # the labeller is models-from-code (loaders.code_model); labellers logged before were pickled (pyfunc.model)
    loaders = ("mlflow.pyfunc.loaders.code_model", "mlflow.pyfunc.model")
    if inner.get("loader_module") not in loaders or "versions" not in (inner.get("artifacts") or {}):
        raise ModelLoadError(f"{model_uri}: not a newslabel labeller model")
    return path


def start_session(master: str | None = DEFAULT_MASTER, app_name: str = "newslabel-label", conf: dict | None = None):
    """A SparkSession; master None keeps the one spark-submit was given (else local[*])."""
    problem = spark_problem()
    if problem:
        raise SparkUnavailable(problem)
    from pyspark.sql import SparkSession

    launched_by_submit = "PYSPARK_GATEWAY_PORT" in os.environ
    if master is None and not launched_by_submit:
        master = DEFAULT_MASTER
    if master and master.startswith("local"):
        # Local workers are this interpreter; on a cluster, spark.pyspark.python / PYSPARK_PYTHON say which.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    for key, value in {"spark.ui.showConsoleProgress": "false", **(conf or {})}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _input_format(inputs: list[str], fmt: str) -> str:
    if fmt != "auto":
        return "parquet" if fmt == "parquet" else "json"
    for p in inputs:
        name = p.rstrip("/").lower()
        if name.endswith((".parquet", ".pq")):
            return "parquet"
        if name.endswith((".jsonl", ".json", ".jsonl.gz", ".json.gz", ".ndjson")):
            return "json"
        local = Path(p.removeprefix("file://"))
        if local.is_dir():
            if any(local.rglob("*.parquet")):
                return "parquet"
            if any(f.name.endswith((".jsonl", ".jsonl.gz", ".json")) for f in local.rglob("*")):
                return "json"
    raise ValueError(f"cannot tell the format of {', '.join(inputs)}: name .jsonl or .parquet files, "
                     "or pass --input-format jsonl|parquet")


def read_pages(spark, inputs: list[str], id_col: str = "id", text_col: str = "text", input_format: str = "auto",
               max_bytes: int | None = None):
    """Pages as a DataFrame (id, text, url, bad, source_path); `bad` is the reason a record cannot be labelled.

    JSONL records are the local engine's (`{"id", "text"}` or `{"id", "html"}`, optional `url`): with the
    default text column, `html` is read where `text` is absent.
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    fmt = _input_format(inputs, input_format)
    use_html = text_col == "text"
    if fmt == "json":
        names = list(dict.fromkeys([id_col, text_col, *(["html"] if use_html else []), "url"]))
        schema = T.StructType([T.StructField(n, T.StringType()) for n in names] + [T.StructField(_CORRUPT, T.StringType())])
        reader = spark.read.schema(schema).option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", _CORRUPT)
        if any(Path(p.removeprefix("file://")).is_dir() for p in inputs):  # folders: their JSONL files, recursively
            reader = reader.option("recursiveFileLookup", "true").option("pathGlobFilter", "*.json*")
        raw = reader.json(inputs)
    else:
        raw = spark.read.parquet(*inputs)
        for needed in (id_col, text_col):
            if needed not in raw.columns:
                raise ValueError(f"{', '.join(inputs)}: no column {needed!r} (columns: {', '.join(raw.columns)});"
                                 " pass --id-col / --text-col")
    cols = set(raw.columns)
    source = F.regexp_replace(F.col("_metadata.file_path"), "^file:(//)?", "")
    doc_id = F.col(id_col).cast("string")
    text = F.col(text_col).cast("string")
    if use_html and "html" in cols:
        text = F.coalesce(text, F.col("html").cast("string"))
    url = F.col("url").cast("string") if "url" in cols and "url" not in (id_col, text_col) else F.lit(None).cast("string")
    corrupt = F.col(_CORRUPT) if _CORRUPT in cols else F.lit(None).cast("string")
    bad = (F.when(corrupt.isNotNull(), F.concat(source, F.lit(": not valid JSON: "), F.substring(corrupt, 1, 60)))
           .when(doc_id.isNull() | (F.trim(doc_id) == ""), F.concat(source, F.lit(f": record has no {id_col!r} field")))
           .when(text.isNull(), F.concat(doc_id, F.lit(f": record has no {text_col!r} string field"))))
    if max_bytes:
        bad = bad.when(F.octet_length(text) > max_bytes,
                       F.concat(doc_id, F.lit(": page is "), F.octet_length(text).cast("string"),
                                F.lit(f" bytes, over the {max_bytes:,}-byte limit (ingest.max_bytes)")))
    return raw.select(doc_id.alias("id"), text.alias("text"), url.alias("url"), bad.alias("bad"),
                      source.alias("source_path"))


def label_pages(spark, pages, model_path: str, partitions: int | None = None, buckets: int = DEFAULT_BUCKETS,
                observation=None):
    """Pages -> passage rows (OUTPUT_COLUMNS + bucket), labelled by spark_udf over the saved PagesModel.

    With a pyspark Observation, the action that runs the rows also counts pages labelled, passages and
    error rows into it (no second pass over the output).
    """
    from pyspark.sql import functions as F

    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(PAGES_PER_ARROW_BATCH))
    udf = mlflow.pyfunc.spark_udf(spark, model_path, result_type=result_ddl(), env_manager="local")
    # A task loads the model once (~1 s warm, a few s in a new worker): small inputs get one task a core;
    # large ones keep their input splits (128 MB of JSONL, thousands of pages a task) and are not shuffled.
    cores = spark.sparkContext.defaultParallelism
    if partitions:
        pages = pages.repartition(partitions)
    elif pages.rdd.getNumPartitions() < cores:
        pages = pages.repartition(cores)
    paged = pages.select(F.col("source_path").alias("_source"),
                         udf(F.struct("id", "text", "url", "bad")).getField("passages").alias("_passages"))
    if observation is not None:
        ok, bad = "p -> p.error IS NULL", "p -> p.error IS NOT NULL"
        paged = paged.observe(observation, F.count(F.when(F.expr(f"exists(_passages, {ok})"), 1)).alias("pages"),
                              F.sum(F.expr(f"size(filter(_passages, {ok}))")).alias("passages"),
                              F.sum(F.expr(f"size(filter(_passages, {bad}))")).alias("failed"))
    labelled = paged.select("_source", F.explode("_passages").alias("p"))
    cols = [F.col("_source").alias(c) if c == "source_path" else F.col(f"p.{c}").alias(c) for c in OUTPUT_COLUMNS]
    rows = labelled.select(*cols)
    return rows.withColumn("bucket", F.expr(f"pmod(hash(doc_id), {int(buckets)})"))


def write_passages(rows, output: str, buckets: int = DEFAULT_BUCKETS, overwrite: bool = False) -> None:
    """One Parquet file a bucket folder (bucket=K/, written by task K), rows sorted by page and passage index.

    `bucket` = pmod(hash(doc_id), buckets) is the very function of Spark's hash partitioning (and of
    bucketBy), so repartitioning by doc_id sends bucket K, and only it, to task K.
    """
    (rows.repartition(int(buckets), "doc_id").sortWithinPartitions("bucket", "doc_id", "index")
     .write.mode("overwrite" if overwrite else "errorifexists").partitionBy("bucket").parquet(output))


def summarise(spark, output: str, observation, n_errors: int = 20) -> SparkResult:
    """The counts observed while writing, and the first error messages (read back only when there are some)."""
    from pyspark.sql import functions as F

    counts = {k: int(v or 0) for k, v in observation.get.items()}
    errors = []
    if counts["failed"]:
        bad = spark.read.parquet(output).where(F.col("error").isNotNull())
        errors = [r.error for r in bad.select("error").orderBy("error").limit(n_errors).collect()]
    return SparkResult(counts["pages"], counts["passages"], counts["failed"], errors)


def run_spark(inputs: list[str] | str, output: str, model_uri: str = DEFAULT_MODEL, master: str | None = DEFAULT_MASTER,
              id_col: str = "id", text_col: str = "text", input_format: str = "auto", buckets: int = DEFAULT_BUCKETS,
              overwrite: bool = False, max_bytes: int | None = None, partitions: int | None = None,
              conf: dict | None = None, spark=None) -> SparkResult:
    """Label every page of `inputs` (JSONL or Parquet files, folders or globs) into Parquet at `output`.

    The model is resolved here, on the driver, before Spark starts (a bad URI fails fast with
    ModelLoadError). `spark`: an existing session to use (it is left running); otherwise one is
    started on `master` and stopped at the end. Returns the counts of what was written.
    """
    inputs = [inputs] if isinstance(inputs, str) else list(inputs)
    problem = spark_problem() if spark is None else None
    if problem:
        raise SparkUnavailable(problem)
    local_out = output.removeprefix("file://")
    if not overwrite and "://" not in local_out and Path(local_out).exists():
        raise FileExistsError(f"{output} exists; pass --overwrite to replace it")
    tmp = Path(tempfile.mkdtemp(prefix="newslabel-spark-"))
    own = spark is None
    try:
        with quiet():
            model_path = save_pages_model(model_uri, tmp)
            if own:
                spark = start_session(master, conf=conf)
            from pyspark.errors import AnalysisException

            try:
                pages = read_pages(spark, inputs, id_col, text_col, input_format, max_bytes)
            except AnalysisException as exc:  # e.g. [PATH_NOT_FOUND]: one line, not a JVM stack
                raise ValueError(str(exc).strip().splitlines()[0]) from None
            from pyspark.sql import Observation

            observed = Observation(f"newslabel-{os.getpid()}-{id(pages)}")  # one a query, unique in the session
            rows = label_pages(spark, pages, str(model_path), partitions, buckets, observed)
            write_passages(rows, output, buckets, overwrite)
            return summarise(spark, output, observed)
    finally:
        if own and spark is not None:
            spark.stop()
        shutil.rmtree(tmp, ignore_errors=True)
