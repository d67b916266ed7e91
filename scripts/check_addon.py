"""Static checks of a generated Odoo addon that need no Odoo: every .py parses, every XML file is
well-formed, every CSV row has the header's width, and the manifest is a dict literal with an
Odoo 19 version; README.rst renders without a docutils warning (with docutils, as OCA's
oca-gen-addon-readme checks it) and static/description/index.html is well-formed. With an Odoo tree
(ODOO_SRC) and lxml, list and search views are also validated against Odoo's own RelaxNG schemas. Prints one line per problem and a summary; exit 1 on problems."""
import ast
import csv
import io
import os
import re
import sys
import xml.etree.ElementTree as ET


def check(addon):
    problems, counts = [], {'py': 0, 'xml': 0, 'csv': 0, 'views': 0}
    for folder, _dirs, files in sorted(os.walk(addon)):
        if '__pycache__' in folder:
            continue
        for name in sorted(files):
            path = os.path.join(folder, name)
            try:
                if name.endswith('.py'):
                    counts['py'] += 1
                    with open(path, encoding='utf-8') as f:
                        compile(f.read(), path, 'exec', dont_inherit=True)
                elif name.endswith('.xml') or name.endswith('.html'):
                    # The description page is XHTML as well as HTML: Odoo's Apps screen shows it.
                    counts['xml'] += 1
                    ET.parse(path)
                elif name.endswith('.csv'):
                    counts['csv'] += 1
                    with open(path, encoding='utf-8', newline='') as f:
                        rows = list(csv.reader(f))
                    for number, row in enumerate(rows[1:], start=2):
                        if len(row) != len(rows[0]):
                            problems.append(f'{path}:{number}: {len(row)} cells, header has {len(rows[0])}')
            except (SyntaxError, ET.ParseError) as err:
                problems.append(f'{path}: {err}')
    manifest_path = os.path.join(addon, '__manifest__.py')
    try:
        with open(manifest_path, encoding='utf-8') as f:
            manifest = ast.literal_eval(f.read())
        if not re.fullmatch(r'19\.0\.\d+\.\d+\.\d+', manifest.get('version', '')):
            problems.append(f"{manifest_path}: version {manifest.get('version')!r} is not 19.0.x.y.z")
        for key in ('name', 'license', 'author', 'depends', 'data'):
            if key not in manifest:
                problems.append(f'{manifest_path}: missing {key!r}')
        for data_file in manifest.get('data', []):
            if not os.path.exists(os.path.join(addon, data_file)):
                problems.append(f'{manifest_path}: data file {data_file} does not exist')
    except (OSError, ValueError, SyntaxError) as err:
        problems.append(f'{manifest_path}: {err}')
    check_readme_rst(os.path.join(addon, 'README.rst'), problems)
    counts['views'] = check_views_with_odoo_rng(addon, problems)
    return problems, counts


def check_readme_rst(path, problems):
    """Odoo renders README.rst with docutils when there is no description page; any warning is a problem."""
    if not os.path.exists(path):
        return
    try:
        from docutils.core import publish_string
        from docutils.utils import SystemMessage
    except ImportError:
        return
    with open(path, encoding='utf-8') as f:
        source = f.read()
    settings = {'halt_level': 2, 'report_level': 5, 'warning_stream': io.StringIO(), 'file_insertion_enabled': False, 'raw_enabled': False}
    try:
        publish_string(source, source_path=path, writer_name='html4css1', settings_overrides=settings)
    except SystemMessage as err:
        problems.append(f'{path}: {err}')


def check_views_with_odoo_rng(addon, problems):
    """Validates <list> and <search> arches with Odoo's RelaxNG, as Odoo does at install time."""
    rng_dir = os.path.join(os.environ.get('ODOO_SRC', '/opt/odoo'), 'odoo', 'addons', 'base', 'rng')
    try:
        from lxml import etree
    except ImportError:
        return 0
    if not os.path.isdir(rng_dir):
        return 0
    validators = {}
    cwd = os.getcwd()
    os.chdir(rng_dir)  # the schemas include common.rng by relative path
    try:
        for kind in ('list', 'search'):
            validators[kind] = etree.RelaxNG(etree.parse(f'{kind}_view.rng'))
    finally:
        os.chdir(cwd)
    checked = 0
    views_dir = os.path.join(addon, 'views')
    for name in sorted(os.listdir(views_dir)) if os.path.isdir(views_dir) else []:
        try:
            tree = etree.parse(os.path.join(views_dir, name))
        except etree.XMLSyntaxError:
            continue  # already reported as malformed
        for arch in tree.iterfind(".//field[@name='arch']"):
            for view in arch:
                validator = validators.get(view.tag)
                if validator is None:
                    continue
                checked += 1
                if not validator.validate(view):
                    problems.append(f'{os.path.join(views_dir, name)}:{view.sourceline}: <{view.tag}> {validator.error_log.last_error}')
    return checked


if __name__ == '__main__':
    addon_dir = sys.argv[1]
    found, counted = check(addon_dir)
    for problem in found:
        print(problem)
    print(
        f"{addon_dir}: {counted['py']} Python, {counted['xml']} XML, {counted['csv']} CSV files, "
        f"{counted['views']} views checked against Odoo's RelaxNG; {len(found)} problem(s)"
    )
    sys.exit(1 if found else 0)
