// The addon README's hand-written fragments are Markdown (as OCA's readme/*.md are); the addon needs
// them as HTML (static/description/index.html, what Odoo's Apps screen shows) and as
// reStructuredText (README.rst, what Odoo falls back to and code hosts show). Both come from one
// parse by `marked`; the RST writer knows the subset the fragments use and refuses anything else, so a
// fragment never renders silently wrong on one side.
import { Marked, type Token, type Tokens } from 'marked';

export class MarkdownError extends Error {}

/** Heading levels: a fragment's `#` is one level below the section it fills (`h3` under an `h2`). */
export interface HeadingOptions {
  /** Added to a Markdown heading's depth to get the HTML level. */
  htmlOffset: number;
  /** RST underline characters for the fragment's `#`, `##`, … (the document's own levels come first). */
  rstAdornments: string;
}

export function markdownToHtml(markdown: string, headings: HeadingOptions): string {
  const marked = new Marked({
    gfm: true,
    renderer: {
      heading({ tokens, depth }) {
        const level = Math.min(6, depth + headings.htmlOffset);
        return `<h${level}>${this.parser.parseInline(tokens)}</h${level}>\n`;
      },
      // Void elements written as XML, so that the page is well-formed XHTML as well as HTML.
      hr: () => '<hr />\n',
      br: () => '<br />',
      html: ({ text }) => {
        throw new MarkdownError(`raw HTML is not allowed in a fragment: ${text.trim().slice(0, 60)}`);
      },
      image: ({ href }) => {
        throw new MarkdownError(`images are not supported in a fragment: ${href}`);
      },
      table(token) {
        const cell = (c: Tokens.TableCell, tag: string) => `<${tag}>${this.parser.parseInline(c.tokens)}</${tag}>`;
        const head = `<tr>${token.header.map((c) => cell(c, 'th')).join('')}</tr>`;
        const rows = token.rows.map((r) => `<tr>${r.map((c) => cell(c, 'td')).join('')}</tr>`).join('\n');
        return `<table class="table table-sm table-bordered">\n<thead>${head}</thead>\n<tbody>\n${rows}\n</tbody>\n</table>\n`;
      },
    },
  });
  return (marked.parse(markdown, { async: false }) as string).trimEnd();
}

export function markdownToRst(markdown: string, headings: HeadingOptions): string {
  const marked = new Marked({ gfm: true });
  return new RstWriter(headings.rstAdornments).blocks(marked.lexer(markdown), '').join('\n\n').trimEnd();
}

const INLINE_SPECIAL = /[\\*`|_<>[\]]/g;

class RstWriter {
  constructor(private readonly adornments: string) {}

  /** Block tokens as RST paragraphs, each line prefixed with `indent`. */
  blocks(tokens: Token[], indent: string): string[] {
    const out: string[] = [];
    for (const token of tokens) {
      const block = this.block(token, indent);
      if (block !== null) out.push(block);
    }
    return out;
  }

  private block(token: Token, indent: string): string | null {
    switch (token.type) {
      case 'space':
        return null;
      case 'heading': {
        const t = token as Tokens.Heading;
        const mark = this.adornments[t.depth - 1];
        if (!mark || indent) throw new MarkdownError(`heading "${t.text}": only ${this.adornments.length} levels, and none inside a list`);
        const title = this.inline(t.tokens);
        return `${title}\n${mark.repeat(title.length)}`;
      }
      case 'paragraph':
      case 'text': {
        const t = token as Tokens.Paragraph | Tokens.Text;
        return this.indentLines(this.inline(t.tokens ?? [{ type: 'text', raw: t.text, text: t.text } as Tokens.Text]), indent);
      }
      case 'code': {
        const t = token as Tokens.Code;
        // A literal block: no language, so docutils needs no Pygments to render it.
        return `${indent}::\n\n${t.text
          .split('\n')
          .map((l) => (l ? `${indent}    ${l}` : ''))
          .join('\n')}`;
      }
      case 'list':
        return this.list(token as Tokens.List, indent);
      case 'table':
        return this.table(token as Tokens.Table, indent);
      default:
        throw new MarkdownError(`Markdown ${token.type} is not supported in a fragment (${token.raw.trim().slice(0, 60)})`);
    }
  }

  private list(list: Tokens.List, indent: string): string {
    const items = list.items.map((item, i) => {
      const bullet = list.ordered ? `${Number(list.start || 1) + i}. ` : '- ';
      const inner = indent + ' '.repeat(bullet.length);
      const [first = '', ...rest] = this.blocks(item.tokens, inner);
      return [`${indent}${bullet}${first.slice(inner.length)}`, ...rest].join('\n\n');
    });
    // A nested list must end with a blank line before the next item of its parent.
    return items.join(list.loose || items.some((i) => i.includes('\n\n')) ? '\n\n' : '\n');
  }

  private table(table: Tokens.Table, indent: string): string {
    const row = (cells: Tokens.TableCell[]) =>
      cells.map((c, i) => `${indent}${i === 0 ? '   * - ' : '     - '}${this.inline(c.tokens) || '\\ '}`).join('\n');
    return [`${indent}.. list-table::`, `${indent}   :header-rows: 1`, '', row(table.header), ...table.rows.map(row)].join('\n');
  }

  private indentLines(text: string, indent: string): string {
    return text
      .split('\n')
      .map((l) => indent + l)
      .join('\n');
  }

  /**
   * Inline tokens as RST text. Inline markup must be preceded by a space or one of a few punctuation
   * marks, and followed by one: an escaped space (`\ `, which renders as nothing) joins it to a word.
   */
  inline(tokens: Token[]): string {
    let out = '';
    let lastWasMarkup = false;
    for (const token of tokens) {
      const { text, markup } = this.inlineToken(token);
      if (!text) continue;
      if (markup && out && !/[\s\-:/'"<([{]$/.test(out)) out += '\\ ';
      else if (lastWasMarkup && !/^[\s\-.,:;!?\\/'")\]}>]/.test(text)) out += '\\ ';
      out += text;
      lastWasMarkup = markup;
    }
    return out;
  }

  private inlineToken(token: Token): { text: string; markup: boolean } {
    switch (token.type) {
      case 'text':
      case 'escape': {
        const t = token as Tokens.Text;
        if (t.tokens?.length) return { text: this.inline(t.tokens), markup: false };
        // Soft line breaks become spaces: a wrapped line starting with `- ` or `1. ` must not become a list.
        return { text: t.text.replace(/\s*\n\s*/g, ' ').replace(INLINE_SPECIAL, (c) => `\\${c}`), markup: false };
      }
      case 'strong':
        return { text: `**${this.plain(token as Tokens.Strong)}**`, markup: true };
      case 'em':
        return { text: `*${this.plain(token as Tokens.Em)}*`, markup: true };
      case 'codespan': {
        const code = (token as Tokens.Codespan).text;
        if (code.includes('``') || /^\s|\s$/.test(code)) throw new MarkdownError(`inline code ${code} cannot be written in RST`);
        return { text: `\`\`${code}\`\``, markup: true };
      }
      case 'link': {
        const t = token as Tokens.Link;
        // Anonymous (`__`): two links with the same text must not clash as named targets.
        return { text: `\`${this.plain(t).replace(/</g, '\\<')} <${t.href}>\`__`, markup: true };
      }
      case 'br':
        return { text: ' ', markup: false };
      default:
        throw new MarkdownError(`Markdown ${token.type} is not supported inline in a fragment (${token.raw.slice(0, 60)})`);
    }
  }

  /** The text inside **…**, *…* or a link: RST does not nest inline markup. */
  private plain(token: Tokens.Strong | Tokens.Em | Tokens.Link): string {
    const nested = token.tokens.find((t) => t.type !== 'text' && t.type !== 'escape');
    if (nested) throw new MarkdownError(`RST cannot nest ${nested.type} inside ${token.type}: ${token.raw.slice(0, 60)}`);
    return token.text.replace(/\s*\n\s*/g, ' ').replace(/[\\*`]/g, (c) => `\\${c}`);
  }
}
