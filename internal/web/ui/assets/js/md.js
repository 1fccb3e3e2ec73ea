// md.js: renders the Markdown a model writes into DOM nodes, never through
// an HTML parser: any HTML in the text stays text. Supported: headings,
// paragraphs, lists, block quotes, fenced code, inline code, bold, italic,
// links (http and https only) and citations of this notebook's items
// ([source:…], [source_insight:…], [note:…]), which become buttons.

import { h, safeHref } from './dom.js';

const CITATION = /\[((?:source|source_insight|note|insight):[A-Za-z0-9_-]+)\]/;
const INLINE = new RegExp([
  '`([^`]+)`', // code
  '\\*\\*([^*]+)\\*\\*', // bold
  '(?:^|(?<=\\s))\\*([^*\\s][^*]*)\\*', // italic
  '\\[([^\\]]+)\\]\\(([^)\\s]+)\\)', // link
  CITATION.source, // citation
].join('|'));

/** inline renders one line's inline Markdown; cite(id) handles citations. */
function inline(text, cite) {
  const out = [];
  let rest = text;
  while (rest) {
    const m = INLINE.exec(rest);
    if (!m) {
      out.push(rest);
      break;
    }
    if (m.index > 0) out.push(rest.slice(0, m.index));
    if (m[1] !== undefined) out.push(h('code', null, m[1]));
    else if (m[2] !== undefined) out.push(h('strong', null, inline(m[2], cite)));
    else if (m[3] !== undefined) out.push(h('em', null, inline(m[3], cite)));
    else if (m[4] !== undefined) {
      const href = safeHref(m[5]);
      out.push(href ? h('a', { href, rel: 'noopener noreferrer', target: '_blank' }, m[4]) : m[0]);
    } else if (m[6] !== undefined) {
      out.push(cite ? cite(m[6]) : m[0]);
    }
    rest = rest.slice(m.index + m[0].length);
  }
  return out;
}

/**
 * renderMarkdown returns the nodes for text. cite(id) returns the node of
 * a citation (a button that opens the item).
 */
export function renderMarkdown(text, cite) {
  const lines = String(text).replace(/\r\n?/g, '\n').split('\n');
  const out = [];
  let para = [];
  const flush = () => {
    if (para.length) out.push(h('p', null, inline(para.join(' '), cite)));
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = /^\s*(```|~~~)/.exec(line);
    if (fence) {
      flush();
      const code = [];
      for (i++; i < lines.length && !lines[i].trim().startsWith(fence[1]); i++) code.push(lines[i]);
      out.push(h('pre', null, h('code', null, code.join('\n'))));
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      out.push(h('h' + Math.min(heading[1].length + 2, 6), null, inline(heading[2], cite)));
      continue;
    }
    const item = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(line);
    if (item) {
      flush();
      const ordered = /\d/.test(item[1]);
      const list = h(ordered ? 'ol' : 'ul');
      for (; i < lines.length; i++) {
        const li = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(lines[i]);
        if (!li) {
          if (lines[i].trim() && /^\s{2,}/.test(lines[i]) && list.lastChild) {
            list.lastChild.append(' ', ...inline(lines[i].trim(), cite));
            continue;
          }
          i--;
          break;
        }
        list.append(h('li', null, inline(li[2], cite)));
      }
      out.push(list);
      continue;
    }
    if (/^\s*>/.test(line)) {
      flush();
      const quote = [];
      for (; i < lines.length && /^\s*>/.test(lines[i]); i++) quote.push(lines[i].replace(/^\s*>\s?/, ''));
      i--;
      out.push(h('blockquote', null, renderMarkdown(quote.join('\n'), cite)));
      continue;
    }
    if (!line.trim()) {
      flush();
      continue;
    }
    para.push(line.trim());
  }
  flush();
  return out;
}
