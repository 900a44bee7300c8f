"""The importer of each source name, as configs/data/*.yaml name them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from newslabel.data.importers.bias import import_babe, import_basil, import_mbic
from newslabel.data.importers.common import Rows
from newslabel.data.importers.extraction import import_extraction_merged, import_webextract, import_webextract_pages
from newslabel.data.importers.rule_topics import import_rule_topics
from newslabel.data.importers.stance import import_arc, import_fnc1
from newslabel.data.importers.topic import import_agnews, import_bbc, import_huffpost, import_iptc, import_masakhanews

IMPORTERS: dict[str, Callable[[Path], dict[str, dict[str, Rows]]]] = {
    "webextract": import_webextract,
    "extraction_merged": import_extraction_merged,
    "webextract_pages": import_webextract_pages,
    "bbc": import_bbc,
    "agnews": import_agnews,
    "fnc1": import_fnc1,
    "babe": import_babe,
    "huffpost": import_huffpost,
    "iptc": import_iptc,
    "masakhanews": import_masakhanews,
    "rule_topics": import_rule_topics,
    "arc": import_arc,
    "basil": import_basil,
    "mbic": import_mbic,
}
