"""Excel desktop: the CPD add-in (an xlwings custom add-in, ``install``) and what its Check and Submit
macros do with the open workbook (``book``)."""
