"""The CPD add-in's own VBA project, written without Excel ([MS-OVBA] through the ``ms_ovba`` package).

What it holds, and where each part comes from:

- ``xlwings``: the standard module of the xlwings package installed here (read from its add-in template
  by ``oletools``), so that the VBA and the Python always match; only its ``PROJECT_NAME`` is CPD's, so
  that its settings are ``%USERPROFILE%\\.cpd\\cpd.conf`` and the add-in's ``cpd.conf`` sheet.
- ``xlwings_udfs``: the worksheet functions' wrappers, written by xlwings' own generator
  (``xlwings.udfs.generate_vba_wrapper``, what its *Import Functions* runs inside Excel) for
  ``addin.xlwings_udfs``: the functions work as soon as the add-in is opened, with no VBA editor step.
- ``ThisWorkbook`` and ``Sheet1``: the workbook's and its one sheet's document modules, empty.

Left out of xlwings' template: its ``SampleCall`` example module, and the ``Dictionary`` class, which
only the Mac branch of xlwings' VBA uses (on a Mac, the Office add-in is the way: docs/addin.md). What
Excel alone does on Import Functions and this cannot: registering each function's description for the
Insert Function dialog (``Application.MacroOptions``); the functions work without it.
"""
from __future__ import annotations

import datetime
import io
import os
import re
import tempfile
import threading
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ..errors import CpdError

PROJECT_NAME = "cpd"
UDF_MODULE = "addin.xlwings_udfs"
# [MS-OVBA] document modules' type library GUIDs: a workbook's, a worksheet's
WORKBOOK_GUID = uuid.UUID("00020819-0000-0000-C000-000000000046")
SHEET_GUID = uuid.UUID("00020820-0000-0000-C000-000000000046")
_DOCUMENT = ('VERSION 1.0 CLASS\nBEGIN\n  MultiUse = -1  \'True\nEND\nAttribute VB_Name = "{name}"\n'
             "Attribute VB_GlobalNameSpace = False\nAttribute VB_Creatable = False\n"
             "Attribute VB_PredeclaredId = True\nAttribute VB_Exposed = True\n")
_CWD = threading.Lock()            # ms_ovba writes vbaProject.bin into the working folder, and its
                                   # compressor is replaced while it does (ovba_compression says why)


def template_modules(vba_project: bytes) -> dict[str, str]:
    """The modules of a VBA project (vbaProject.bin), by name, as source text."""
    from oletools.olevba import VBA_Parser
    parser = VBA_Parser("vbaProject.bin", data=vba_project)
    try:
        return {Path(name).stem: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def xlwings_module(template_source: str) -> str:
    """xlwings' standard module with CPD's project name (its settings file and sheet are named by it)."""
    named, n = re.subn(r'(Public Const PROJECT_NAME As String = )"[^"]*"', rf'\1"{PROJECT_NAME}"', template_source)
    if n != 1:
        raise CpdError("addin_template_changed", "xlwings' add-in template no longer sets PROJECT_NAME as this "
                       "version of CPD expects; install the xlwings version pyproject.toml names")
    return named


XLWINGS_UDFS_PARTS = ("func_sig", "get_category", "get_async_mode", "check_bool", "extract_type_and_annotations",
                     "xlfunc", "xlsub", "xlret", "xlarg", "generate_vba_wrapper")


def _xlwings_udf_tools() -> dict[str, Any]:
    """xlwings' own decorators (``xlfunc``, ``xlarg``, ``xlret``, ``xlsub``: what ``@xw.func`` is on Windows)
    and its VBA generator (``generate_vba_wrapper``). Their module, ``xlwings.udfs``, imports Windows' COM
    modules when it loads, so these functions are taken from its source as xlwings ships it and run as
    they are, on any system."""
    import __future__
    import ast
    import functools
    import importlib.util
    import inspect
    import typing

    import xlwings
    from xlwings.utils import VBAWriter
    spec = importlib.util.find_spec("xlwings.udfs")
    assert spec is not None and spec.origin is not None
    body: list[ast.stmt] = [node for node in ast.parse(Path(spec.origin).read_text(encoding="utf-8")).body
                            if isinstance(node, ast.FunctionDef) and node.name in XLWINGS_UDFS_PARTS]
    if {node.name for node in body if isinstance(node, ast.FunctionDef)} != set(XLWINGS_UDFS_PARTS):
        raise CpdError("addin_template_changed", "xlwings' functions for writing the add-in's VBA have changed; "
                       "install the xlwings version pyproject.toml names")
    typing_names = ("Annotated", "Any", "Callable", "TypeVar", "get_args", "get_origin", "get_type_hints")
    namespace: dict[str, Any] = {"VBAWriter": VBAWriter, "xlwings": xlwings, "inspect": inspect, "functools": functools,
                                 "dt": datetime, "re": re, "os": os,
                                 **{name: getattr(typing, name) for name in typing_names}}
    namespace["_F"] = typing.TypeVar("_F", bound=typing.Callable[..., typing.Any])
    code = compile(ast.Module(body=body, type_ignores=[]), spec.origin, "exec",
                   flags=__future__.annotations.compiler_flag, dont_inherit=True)
    exec(code, namespace)                                                   # noqa: S102 - xlwings' own code
    return namespace


def _decorated_udfs(tools: dict[str, Any]) -> SimpleNamespace:
    """``addin.xlwings_udfs`` as Excel on Windows loads it: its functions carrying xlwings' metadata."""
    import ast
    import importlib.util
    spec = importlib.util.find_spec(UDF_MODULE)
    assert spec is not None and spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    tree.body = [node for node in tree.body if not (isinstance(node, ast.Import)
                                                    and any(a.name == "xlwings" for a in node.names))]
    xw = SimpleNamespace(func=tools["xlfunc"], sub=tools["xlsub"], arg=tools["xlarg"], ret=tools["xlret"])
    namespace: dict[str, Any] = {"__name__": UDF_MODULE, "__package__": "addin", "xw": xw}
    exec(compile(tree, spec.origin, "exec", dont_inherit=True), namespace)   # noqa: S102 - our own module
    return SimpleNamespace(**{k: v for k, v in namespace.items() if not k.startswith("__")})


def udf_module(addin_name: str) -> str:
    """The worksheet functions' and macros' VBA wrappers, as xlwings' Import Functions writes them for an
    add-in."""
    tools = _xlwings_udf_tools()
    out = io.StringIO()
    vba = tools["VBAWriter"](out)
    vba.writeln('Attribute VB_Name = "xlwings_udfs"')
    vba.writeln("'Autogenerated code by xlwings - changes will be lost with next import!")
    vba.writeln("""#Const App = "Microsoft Excel" 'Adjust when using outside of Excel""")
    tools["generate_vba_wrapper"](UDF_MODULE, _decorated_udfs(tools), out, SimpleNamespace(Name=addin_name))
    return out.getvalue()


def build_project(template_project: bytes, addin_name: str) -> bytes:
    """CPD's VBA project (vbaProject.bin): see the module's note."""
    from ms_ovba.Models.Entities.doc_module import DocModule
    from ms_ovba.Models.Entities.reference import Reference
    from ms_ovba.Models.Entities.reference_registered import ReferenceRegistered
    from ms_ovba.Models.Entities.std_module import StdModule
    from ms_ovba.Models.Fields.libid_reference import LibidReference
    from ms_ovba.Views.project_ole_file import ProjectOleFile
    from ms_ovba.vbaProject import VbaProject
    from ms_ovba_compression.ms_ovba import MsOvba

    from .ovba_compression import compress

    modules = template_modules(template_project)
    with tempfile.TemporaryDirectory() as work, _CWD:
        folder = Path(work)
        sources = {"ThisWorkbook.cls": _DOCUMENT.format(name="ThisWorkbook"),
                   "Sheet1.cls": _DOCUMENT.format(name="Sheet1"),
                   "xlwings.bas": xlwings_module(modules["xlwings"]), "xlwings_udfs.bas": udf_module(addin_name)}
        for name, text in sources.items():
            (folder / name).write_text(text.replace("\r\n", "\n"), encoding="cp1252")
        project = VbaProject()
        project.project_id = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "cpd-tracker/excel-addin")).upper() + "}"
        for name, guid in (("Sheet1", SHEET_GUID), ("ThisWorkbook", WORKBOOK_GUID)):
            doc = DocModule(name)
            doc.add_file(str(folder / f"{name}.cls"))
            doc.add_guid(guid)
            doc.normalize_file()
            project.add_module(doc)
        for name in ("xlwings", "xlwings_udfs"):
            std = StdModule(name)
            std.add_file(str(folder / f"{name}.bas"))
            std.normalize_file()
            project.add_module(std)
        for libid, version, path, title, name in (
                ("0002043000000000C000000000000046", "2.0", r"C:\Windows\System32\stdole2.tlb", "OLE Automation",
                 "stdole"),
                ("2DF8D04C5BFA101BBDE500AA0044DE52", "2.0",
                 r"C:\Program Files\Common Files\Microsoft Shared\OFFICE16\MSO.DLL",
                 "Microsoft Office 16.0 Object Library", "Office")):
            ref = LibidReference(uuid.UUID(libid), version, "0", path, title)
            project.add_reference(Reference(ReferenceRegistered(ref), name))
        here, broken = os.getcwd(), MsOvba.compress
        os.chdir(folder)
        MsOvba.compress = lambda _self, data: compress(bytes(data))   # type: ignore[method-assign,assignment]
        try:
            ProjectOleFile.write_file(project)
        finally:
            MsOvba.compress = broken                                    # type: ignore[method-assign]
            os.chdir(here)
        return (folder / "vbaProject.bin").read_bytes()
