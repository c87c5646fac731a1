"""The Junyi exercise table as a program: quirks, repair, shape, errors, CLI."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from levelwise.app.modelling.junyi import load_junyi
from levelwise.cli.graph import graph
from levelwise.domain.program import BktParams
from levelwise.errors import (
    InvalidJunyiError,
    JunyiNotFoundError,
    LevelwiseError,
    ProgramError,
)

HEADER = (
    "name,live,prerequisites,h_position,v_position,creation_date,"
    "seconds_per_fast_problem,pretty_display_name,short_display_name,topic,area"
)
LONG = "l" * 120

# Line numbers (the header is line 1): count_1 2, count_2 3, add_1 4, add_2 5,
# self_ref 6, rad_add 7, rad_mul 8, rad_simplify 9, square_root 10,
# angles 11-12 (a title over two lines), angle types 13, angle_types 14,
# matrix 15, count_1 again 16, _hidden 17, LONG 18, solids 19, blank 20.
ROWS = '''\
count_1,TRUE,,1,2,2012-10-11,8,數數 1,數數1,counting,arithmetic
count_2,TRUE,count_1,1,2,2012-10-11,8.5,"Count ""two""",c2,counting,arithmetic
add_1,TRUE,"count_2,count_2",1,2,2012-10-11,12,,add,addition,arithmetic
add_2,FALSE,add_1,1,2,2012-10-11,0,,,addition,arithmetic
self_ref,TRUE,"self_ref,count_1",1,2,2012-10-11,6,,,counting,arithmetic
rad_add,TRUE,rad_simplify,1,2,2014-09-04,14,,,radicals,algebra
rad_mul,TRUE,rad_add,1,2,2014-09-04,15,,,radicals,algebra
rad_simplify,TRUE,"square_root,rad_mul",1,2,2012-10-11,8,,,radicals,algebra
square_root,true,count_2,1,2,2012-10-11,10,,,radicals,algebra
angles,TRUE,ghost_skill,1,2,2012-10-11,20,"two
lines",,angles,geometry
angle types,TRUE,angles,1,2,2012-10-11,20,,,angles,geometry
angle_types,TRUE,,1,2,2012-10-11,20,,,angles,geometry
matrix,TRUE,,1,2,2012-10-11,10,,,matrices,N/A
count_1,TRUE,,1,2,2012-10-11,99,again,,counting,arithmetic
_hidden,TRUE,,1,2,2012-10-11,4,,,misc,
LONGNAME,TRUE,,1,2,2012-10-11,4,,,misc,probability-statistics
solids,TRUE,,1,2,2012-10-11,4,,,solids,3d-shapes

'''.replace("LONGNAME", LONG)


def write(tmp_path, rows=ROWS, header=HEADER, name="junyi_Exercise_table.csv"):
    path = tmp_path / name
    path.write_text("\ufeff" + header + "\n" + rows, encoding="utf-8")
    return path


@pytest.fixture
def loaded(tmp_path):
    return load_junyi(write(tmp_path))


def test_the_report_counts_what_was_read_dropped_and_renamed(loaded):
    r = loaded.report
    assert r.rows == 17
    assert r.exercises == 16
    assert r.not_live == 1
    assert r.duplicates == (("count_1", 16, 2),)
    assert r.unknown_prerequisites == (("angles", "ghost_skill", 11),)
    assert r.renamed == (
        ("angle types", "angle_types_2"),
        ("_hidden", "x_hidden"),
        (LONG, "l" * 100),
    )
    assert r.areas == (
        ("algebra", "algebra", 4),
        ("3d-shapes", "area_3d_shapes", 1),
        ("arithmetic", "arithmetic", 5),
        ("geometry", "geometry", 3),
        ("probability-statistics", "probability_statistics", 1),
        ("N/A", "unassigned", 2),
    )
    assert r.source.endswith("junyi_Exercise_table.csv")


def test_self_loops_and_the_cycle_are_removed_with_reasons(loaded):
    repair = loaded.report.repair
    assert loaded.report.edges == 11
    assert [(x.edge, x.reason) for x in repair.removed] == [
        (("self_ref", "self_ref"), "self-loop"),
        (
            ("rad_mul", "rad_simplify"),
            "cycle rad_add -> rad_mul -> rad_simplify -> rad_add",
        ),
    ]
    assert len(repair.kept) == 9
    assert loaded.report.longest_chain == (
        "count_1",
        "count_2",
        "square_root",
        "rad_simplify",
        "rad_add",
        "rad_mul",
    )


def test_the_program_has_one_point_and_one_exercise_unit_per_exercise(loaded):
    p = loaded.program
    assert [d.id for d in p.dimensions] == [
        "algebra",
        "area_3d_shapes",
        "arithmetic",
        "geometry",
        "probability_statistics",
        "unassigned",
    ]
    assert len(p.knowledge_points) == len(p.units) == 16
    count_2 = p.kp_by_id["count_2"]
    assert count_2.title == 'Count "two"'
    assert count_2.dimensions == (("arithmetic", 1.0),)
    assert count_2.prerequisites == ("count_1",)
    assert p.kp_by_id["count_1"].title == "數數 1"
    assert p.kp_by_id["add_1"].title == "add"
    assert p.kp_by_id["add_2"].title == "add_2"
    assert p.kp_by_id["angles"].title == "two\nlines"
    assert p.kp_by_id["angles"].prerequisites == ()
    assert p.kp_by_id["rad_simplify"].prerequisites == ("square_root",)
    assert p.kp_by_id["angle_types_2"].prerequisites == ("angles",)
    assert p.kp_by_id["self_ref"].prerequisites == ("count_1",)
    unit = p.unit_by_id["count_2"]
    assert (unit.kind, unit.knowledge_points, unit.questions) == (
        "exercise",
        ("count_2",),
        10,
    )
    # 10 problems x seconds x 3 / 60, rounded up, at least 1
    minutes = {u.id: u.minutes for u in p.units}
    assert minutes["count_1"] == 4
    assert minutes["count_2"] == 5
    assert minutes["add_1"] == 6
    assert minutes["add_2"] == 1
    assert minutes["rad_add"] == 7
    assert p.unit_by_id["count_1"].answers == 10


def test_the_ladder_climbs_the_largest_areas_with_xp(loaded):
    p = loaded.program
    assert [lvl.id for lvl in p.levels] == [
        "starter",
        "arithmetic_1",
        "algebra_1",
        "geometry_1",
        "arithmetic_2",
        "algebra_2",
        "geometry_2",
    ]
    assert [g.source for g in p.levels[1].gates] == [
        "dimension.arithmetic >= 0.35",
        "xp >= 500",
    ]
    assert [g.source for g in p.levels[6].gates] == [
        "dimension.geometry >= 0.6",
        "xp >= 3000",
    ]
    assert [(r.on, r.id) for r in p.xp_rules] == [
        ("question.answered", "correct_answer"),
        ("unit.completed", "unit_done"),
    ]
    assert p.mastery.model == "running"
    assert p.mastery.prior == 0.2
    assert p.planning.ready_mastery == 0.6
    assert p.id == "junyi"


def test_the_generated_file_is_a_program_file(loaded):
    from levelwise.app.programs.loader import load_program

    again = load_program(loaded.text, "junyi.yaml")
    assert again.kp_by_id == loaded.program.kp_by_id
    assert loaded.text.startswith('program: "junyi"\n')


def test_fitted_bkt_parameters_select_bkt(tmp_path):
    params = BktParams(prior=0.3, learn=0.2, guess=0.15, slip=0.05, forget=0.01)
    loaded = load_junyi(tmp_path_file := write(tmp_path), bkt={"count_1": params})
    assert loaded.program.mastery.model == "bkt"
    assert loaded.program.mastery.bkt == (("count_1", params),)
    with pytest.raises(ProgramError, match="unknown knowledge_point 'nope'"):
        load_junyi(tmp_path_file, bkt={"nope": params})


def test_a_folder_is_read_through_its_table(tmp_path):
    write(tmp_path)
    assert load_junyi(tmp_path).report.exercises == 16
    assert load_junyi(str(tmp_path)).report.exercises == 16


def test_a_bad_program_id_is_a_program_error(tmp_path):
    with pytest.raises(ProgramError, match="program"):
        load_junyi(write(tmp_path), program_id="bad id")


@pytest.mark.parametrize(
    ("rows", "line", "message"),
    [
        ("a,TRUE,,1,2,d,8,t,s,x,arithmetic\nb,TRUE,,1,2,d,fast,t,s,x,algebra\n", 3,
         "seconds_per_fast_problem must be a number >= 0, got 'fast'"),
        ("a,TRUE,,1,2,d,-1,t,s,x,arithmetic\n", 2,
         "seconds_per_fast_problem must be a number >= 0, got '-1'"),
        ("a,TRUE,,1,2,d,nan,t,s,x,arithmetic\n", 2,
         "seconds_per_fast_problem must be a number >= 0, got 'nan'"),
        ('a,TRUE,,1,2,d,8,"t\nt",s,x,y\nb,yes,,1,2,d,8,t,s,x,y\n', 4,
         "live must be TRUE or FALSE, got 'yes'"),
        ("a,TRUE,,1,2,d,8,t,s,x\n", 2, "expected 11 fields, got 10"),
        (" ,TRUE,,1,2,d,8,t,s,x,y\n", 2, "empty exercise name"),
    ],
)  # fmt: skip
def test_a_bad_value_names_file_and_line(tmp_path, rows, line, message):
    path = write(tmp_path, rows)
    with pytest.raises(InvalidJunyiError) as info:
        load_junyi(path)
    assert str(info.value) == f"{path}:{line}: {message}"
    assert (info.value.file, info.value.line) == (str(path), line)
    assert isinstance(info.value, LevelwiseError)


def test_a_missing_column_is_reported_on_the_header(tmp_path):
    path = write(tmp_path, "a,TRUE,,8\n", header="name,live,prerequisites,area")
    with pytest.raises(InvalidJunyiError) as info:
        load_junyi(path)
    assert str(info.value) == f"{path}:1: missing column 'seconds_per_fast_problem'"


def test_empty_and_undecodable_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InvalidJunyiError, match=r"empty\.csv:1: the file is empty"):
        load_junyi(empty)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(HEADER.encode() + b"\ncaf\xe9,TRUE,,1,2,d,8,t,s,x,y\n")
    with pytest.raises(InvalidJunyiError, match=r"latin\.csv: not UTF-8 text"):
        load_junyi(latin)


def test_a_missing_file_or_folder(tmp_path):
    with pytest.raises(JunyiNotFoundError, match="no such file"):
        load_junyi(tmp_path / "nope.csv")
    with pytest.raises(JunyiNotFoundError, match="junyi_Exercise_table.csv"):
        load_junyi(tmp_path)


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("graph")(graph)

    @app.callback()
    def main() -> None:
        """Host the graph command."""

    return app


def test_the_graph_command_prints_the_report(tmp_path):
    path = write(tmp_path)
    out = tmp_path / "junyi.yaml"
    result = CliRunner().invoke(
        cli(), ["graph", "--junyi", str(path), "--write", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = result.output
    assert "17 rows, 16 exercises (1 not live, kept)" in text
    assert "count_1 (line 16, first at line 2)" in text
    assert "angles <- ghost_skill (line 11)" in text
    assert "'angle types' -> angle_types_2" in text
    assert "prerequisite edges: 11, kept 9, removed 2" in text
    assert "self_ref -> self_ref: self-loop" in text
    assert "rad_mul -> rad_simplify: cycle rad_add -> rad_mul" in text
    assert "longest prerequisite chain after repair: 5 edges" in text
    assert "6 dimensions, 16 knowledge points, 16 units" in text
    assert "starter > arithmetic_1 > algebra_1" in text
    assert out.read_text(encoding="utf-8").startswith('program: "junyi"')


def test_the_graph_command_prints_json(tmp_path):
    result = CliRunner().invoke(
        cli(), ["graph", "--junyi", str(write(tmp_path)), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["exercises"] == 16
    assert data["removed"][0] == {
        "prerequisite": "self_ref",
        "dependent": "self_ref",
        "reason": "self-loop",
    }
    assert data["cycles"] == [["rad_add", "rad_mul", "rad_simplify"]]
    assert data["longest_chain_edges"] == 5
    assert data["program"]["units"] == 16
    assert data["program"]["mastery"] == "running"


def test_the_graph_command_fails_cleanly(tmp_path):
    result = CliRunner().invoke(cli(), ["graph", "--junyi", str(tmp_path / "x.csv")])
    assert result.exit_code == 1
    assert "no such file" in result.output
