#!/usr/bin/env python3
"""Checks an SVG picture that "vplug graph --format=svg" drew against the
DOT that "vplug graph" wrote for the same lab.

    svg-check.py DOT SVG            one line of counts
    svg-check.py --looks DOT SVG    and then how each node and edge is drawn

The SVG must be well-formed XML; its node, edge and cluster groups must
carry as <title> exactly the DOT's node ids, edges ("A--B") and cluster
ids; every line of every DOT label must be a <text> of the SVG; no two
nodes, no two edge labels, and no node and edge label may overlap; and
everything must lie inside the picture.  Prints what is wrong and exits 1,
or prints "N nodes, N edges, N clusters, N labels" (and with --looks a line
"TITLE stroke=COLOUR dash=DASH width=WIDTH" for each node and edge, and the
colours of the texts of each edge label) and exits 0."""

import collections
import re
import sys
import xml.dom.minidom


def unquote(s):
    return re.sub(r'\\(.)', lambda m: 'n' == m.group(1) and '\n'
                  or m.group(1), s)


QUOTED = r'"((?:[^"\\]|\\.)*)"'


def read_dot(path):
    nodes, edges, clusters, texts = [], [], [], []
    for line in open(path, encoding='utf-8'):
        m = re.match(r'\s*subgraph ' + QUOTED, line)
        if m:
            clusters.append(unquote(m.group(1)))
        m = re.match(r'\s*' + QUOTED + r' -- ' + QUOTED, line)
        if m:
            edges.append(unquote(m.group(1)) + '--' + unquote(m.group(2)))
        elif re.match(r'\s*' + QUOTED + r' \[', line):
            nodes.append(unquote(re.match(r'\s*' + QUOTED, line).group(1)))
        for m in re.finditer(r'(?:^|[ \[,])(label|taillabel|headlabel)='
                             + QUOTED, line):
            texts.extend(unquote(m.group(2)).split('\n'))
    return nodes, edges, clusters, texts


def num(e, name):
    return int(e.getAttribute(name) or 0)


def bbox(group):
    """The box around the outlines of a node group: its rects and
    polygons."""
    xs, ys = [], []
    for r in group.getElementsByTagName('rect'):
        xs += [num(r, 'x'), num(r, 'x') + num(r, 'width')]
        ys += [num(r, 'y'), num(r, 'y') + num(r, 'height')]
    for p in group.getElementsByTagName('polygon'):
        for pt in p.getAttribute('points').split():
            x, y = pt.split(',')
            xs.append(int(x))
            ys.append(int(y))
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def overlap(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def title(group):
    for c in group.childNodes:
        if c.nodeType == c.ELEMENT_NODE and c.tagName == 'title':
            return c.firstChild.data if c.firstChild else ''
    return None


def looks(e):
    return 'stroke=%s dash=%s width=%s' % (
        e.getAttribute('stroke'), e.getAttribute('stroke-dasharray') or '-',
        e.getAttribute('stroke-width') or '1')


def main():
    args = sys.argv[1:]
    show_looks = args[:1] == ['--looks']
    if show_looks:
        args = args[1:]
    dot_path, svg_path = args
    problems = []
    try:
        doc = xml.dom.minidom.parse(svg_path)
    except Exception as e:
        print('%s is not well-formed XML: %s' % (svg_path, e))
        return 1
    svg = doc.documentElement
    width, height = num(svg, 'width'), num(svg, 'height')

    groups = collections.defaultdict(list)
    for g in doc.getElementsByTagName('g'):
        groups[g.getAttribute('class')].append(g)
    nodes, edges, clusters, dot_texts = read_dot(dot_path)

    for cls, want in (('node', nodes), ('edge', edges),
                      ('cluster', clusters)):
        have = [title(g) for g in groups[cls]]
        if collections.Counter(have) != collections.Counter(want):
            problems.append('%s titles %s, but the DOT has %s'
                            % (cls, sorted(have), sorted(want)))

    svg_texts = [t.firstChild.data if t.firstChild else ''
                 for t in doc.getElementsByTagName('text')]
    missing = collections.Counter(dot_texts) - collections.Counter(svg_texts)
    if missing:
        problems.append('labels not drawn: %s' % sorted(missing))

    boxes = [(title(g), bbox(g)) for g in groups['node']]
    tags = []
    for layer in groups['labels']:
        for r in layer.getElementsByTagName('rect'):
            tags.append(('label at %d,%d' % (num(r, 'x'), num(r, 'y')),
                         (num(r, 'x'), num(r, 'y'),
                          num(r, 'x') + num(r, 'width'),
                          num(r, 'y') + num(r, 'height'))))
    things = boxes + tags
    for i, (a, abox) in enumerate(things):
        if abox is None:
            problems.append('%s has no outline' % a)
            continue
        if abox[0] < 0 or abox[1] < 0 or abox[2] > width or abox[3] > height:
            problems.append('%s %s is outside the picture %dx%d'
                            % (a, abox, width, height))
        for b, bbox_ in things[i + 1:]:
            if bbox_ is not None and overlap(abox, bbox_):
                problems.append('%s %s overlaps %s %s' % (a, abox, b, bbox_))

    for p in problems:
        print(p)
    if problems:
        return 1
    print('%d nodes, %d edges, %d clusters, %d labels'
          % (len(groups['node']), len(groups['edge']),
             len(groups['cluster']), len(tags)))
    if show_looks:
        for g in groups['node']:
            shape = (g.getElementsByTagName('rect')
                     + g.getElementsByTagName('polygon'))[0]
            print('%s %s' % (title(g), looks(shape)))
        for g in groups['edge']:
            path = g.getElementsByTagName('path')[0]
            print('%s %s' % (title(g), looks(path)))
        colours = collections.Counter(
            t.getAttribute('fill') or 'black'
            for layer in groups['labels']
            for t in layer.getElementsByTagName('text'))
        print('label texts: %s' % ', '.join('%d %s' % (n, c) for c, n
                                           in sorted(colours.items())))
    return 0


if __name__ == '__main__':
    sys.exit(main())
