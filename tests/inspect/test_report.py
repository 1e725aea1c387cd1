"""The HTML report as files: pages, plots, escaping of data text (no browser needed)."""

from click.testing import CliRunner

from ecot_annotate.cli import main
from ecot_annotate.inspect.report import build_report
from tests.support.run_builders import write_known_run

PAYLOAD = "<img src=x onerror=alert(1)>"


def test_report_writes_index_pages_and_plots(tmp_path):
    run = write_known_run(tmp_path / "run")
    result = CliRunner().invoke(main, ["report", str(run), "--html", str(tmp_path / "html")])
    assert result.exit_code == 0, result.output
    html = tmp_path / "html"
    assert sorted(p.name for p in (html / "episodes").iterdir()) == [
        "00000.html",
        "00001.html",
        "00002.html",
        "00003.html",
    ]
    assert (html / "plots" / "primitives.png").stat().st_size > 1000
    assert (html / "plots" / "residuals.png").stat().st_size > 1000  # the run has a residual column
    index = (html / "index.html").read_text()
    assert index.count('class="episode-row"') == 4
    assert '<span class="flag">fallback</span>' in index
    assert "too few gripper detections" in index  # the untracked reason is a figure
    assert "texts failing a check" in index and "failing: plan out of order" in index
    assert "2 texts failing a check" in index  # episode c's flag
    page = (html / "episodes" / "00001.html").read_text()
    assert "fallback reason: schema: missing field plan" in page
    assert "data:image/png;base64," in page


def test_limit_writes_the_first_pages_only(tmp_path):
    run = write_known_run(tmp_path / "run")
    build_report(run, tmp_path / "html", limit=2)
    assert sorted(p.name for p in (tmp_path / "html" / "episodes").iterdir()) == [
        "00000.html",
        "00001.html",
    ]
    assert "(2 of 4)" in (tmp_path / "html" / "index.html").read_text()


def test_data_text_is_escaped_in_html_and_in_script_json(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    run = write_known_run(tmp_path / "run")
    path = next((run / "parquet").glob("*.parquet"))
    table = pq.read_table(path)
    column = table.schema.get_field_index("instruction")
    table = table.set_column(column, "instruction", pa.array([PAYLOAD] * table.num_rows))
    pq.write_table(table, path)
    build_report(run, tmp_path / "html")
    for page in (tmp_path / "html" / "index.html", tmp_path / "html" / "episodes" / "00000.html"):
        text = page.read_text()
        assert PAYLOAD not in text and "<img src=x" not in text
        assert "&lt;img src=x onerror=alert(1)&gt;" in text
    script = (
        (tmp_path / "html" / "episodes" / "00000.html").read_text().split('id="episode-data">')[1]
    )
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in script
    assert "<" not in script.split("</script>")[0]
