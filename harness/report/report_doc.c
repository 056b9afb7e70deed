/*
 * report_doc.c — the report's Markdown and HTML, written side by side.
 *
 * Every call writes the same content to both documents, so the two can
 * never disagree about a number; the texts use one tiny markup (`code`)
 * that each format renders its own way.  Both go to memory first and are
 * written atomically at the end (report.c).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

void rp_cell(rp_row *r, const char *fmt, ...)
{
    if (r->n >= RP_MAX_COLS) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->cell[r->n++], sizeof r->cell[0], fmt, ap);
    va_end(ap);
}

void rp_cells(rp_row *r, ...)
{
    va_list ap;
    va_start(ap, r);
    for (const char *c; (c = va_arg(ap, const char *));) rp_cell(r, "%s", c);
    va_end(ap);
}

int rp_doc_open(rp_doc *d)
{
    memset(d, 0, sizeof *d);
    d->md = open_memstream(&d->md_buf, &d->md_len);
    d->html = open_memstream(&d->html_buf, &d->html_len);
    if (d->md && d->html) return 0;
    rp_doc_close(d);
    return -1;
}

void rp_doc_close(rp_doc *d)
{
    if (d->md) fclose(d->md);
    if (d->html) fclose(d->html);
    free(d->md_buf);
    free(d->html_buf);
    memset(d, 0, sizeof *d);
}

/* Markdown: characters that would start emphasis, a table cell, a link or
 * an HTML tag are escaped; `code` spans pass through unchanged. */
static void md_text(FILE *f, const char *s, int in_table)
{
    int code = 0;
    for (; *s; s++) {
        if (*s == '`') code = !code;
        else if (!code && strchr("*[]<>\\", *s)) fputc('\\', f);
        else if (in_table && *s == '|') fputc('\\', f);
        if (*s == '\n') {
            fputc(' ', f);
            continue;
        }
        fputc(*s, f);
    }
}

static void html_text(FILE *f, const char *s)
{
    int code = 0;
    for (; *s; s++) {
        switch (*s) {
        case '`':
            fputs(code ? "</code>" : "<code>", f);
            code = !code;
            break;
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
    if (code) fputs("</code>", f);
}

/* An attribute value or URL: no markup, only escaping. */
static void html_attr(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '&') fputs("&amp;", f);
        else if (*s == '"') fputs("&quot;", f);
        else if (*s == '<') fputs("&lt;", f);
        else fputc(*s, f);
    }
}

void rp_doc_heading(rp_doc *d, int level, const char *anchor, const char *text)
{
    if (level == 2 && anchor && d->n_toc < sizeof d->toc_anchor / sizeof d->toc_anchor[0]) {
        snprintf(d->toc_anchor[d->n_toc], sizeof d->toc_anchor[0], "%s", anchor);
        snprintf(d->toc_text[d->n_toc++], sizeof d->toc_text[0], "%s", text);
    }
    fprintf(d->md, "\n%.*s ", level, "######");
    md_text(d->md, text, 0);
    fputs("\n\n", d->md);
    fprintf(d->html, "<h%d id=\"", level);
    html_attr(d->html, anchor ? anchor : "");
    fputs("\">", d->html);
    html_text(d->html, text);
    fprintf(d->html, "</h%d>\n", level);
}

/* GitHub's anchor of a Markdown heading: lower case, spaces to '-', other
 * punctuation dropped. */
static void md_slug(const char *text, char *out, size_t len)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && o + 1 < len; p++) {
        if (*p == ' ' || *p == '-') out[o++] = '-';
        else if (isalnum(*p) || *p >= 0x80) out[o++] = (char)tolower(*p);
    }
    out[o] = '\0';
}

void rp_doc_toc(rp_doc *d, const rp_doc *of)
{
    if (!of->n_toc) return;
    fputs("\n**Contents**\n\n", d->md);
    fputs("<nav><p><strong>Contents</strong></p>\n<ul>\n", d->html);
    for (size_t i = 0; i < of->n_toc; i++) {
        char slug[128];
        md_slug(of->toc_text[i], slug, sizeof slug);
        fprintf(d->md, "- [%s](#%s)\n", of->toc_text[i], slug);
        fputs("<li><a href=\"#", d->html);
        html_attr(d->html, of->toc_anchor[i]);
        fputs("\">", d->html);
        html_text(d->html, of->toc_text[i]);
        fputs("</a></li>\n", d->html);
    }
    fputs("</ul></nav>\n", d->html);
}

static void vpara(rp_doc *d, const char *md_pre, const char *html_open, const char *html_close,
                  const char *fmt, va_list ap)
{
    char *text = NULL;
    if (vasprintf(&text, fmt, ap) < 0) return;
    fputs(md_pre, d->md);
    md_text(d->md, text, 0);
    fputs("\n", d->md);
    fputs(html_open, d->html);
    html_text(d->html, text);
    fputs(html_close, d->html);
    free(text);
}

void rp_doc_para(rp_doc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vpara(d, "", "<p>", "</p>\n", fmt, ap);
    va_end(ap);
    fputs("\n", d->md);
}

void rp_doc_item(rp_doc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    /* The first item opens the list, rp_doc_items_end closes it. */
    if (!d->in_list) fputs("<ul>\n", d->html);
    d->in_list = 1;
    vpara(d, "- ", "<li>", "</li>\n", fmt, ap);
    va_end(ap);
}

void rp_doc_items_end(rp_doc *d)
{
    if (d->in_list) fputs("</ul>\n", d->html);
    d->in_list = 0;
    fputs("\n", d->md);
}

void rp_doc_table(rp_doc *d, const rp_row *head, const char *align)
{
    d->ncols = head->n;
    fputs("|", d->md);
    for (size_t i = 0; i < head->n; i++) {
        fputs(" ", d->md);
        md_text(d->md, head->cell[i], 1);
        fputs(" |", d->md);
    }
    fputs("\n|", d->md);
    for (size_t i = 0; i < head->n; i++) fputs(align && align[i] == 'r' ? " ---: |" : " --- |", d->md);
    fputs("\n", d->md);
    fputs("<table>\n<thead><tr>", d->html);
    for (size_t i = 0; i < head->n; i++) {
        fputs(align && align[i] == 'r' ? "<th class=\"r\">" : "<th>", d->html);
        html_text(d->html, head->cell[i]);
        fputs("</th>", d->html);
    }
    fputs("</tr></thead>\n<tbody>\n", d->html);
}

void rp_doc_row(rp_doc *d, const rp_row *r)
{
    fputs("|", d->md);
    fputs("<tr>", d->html);
    for (size_t i = 0; i < d->ncols; i++) {
        const char *c = i < r->n ? r->cell[i] : "";
        fputs(" ", d->md);
        md_text(d->md, c, 1);
        fputs(" |", d->md);
        /* Right-align what looks like a number, so that columns of them line up. */
        int num = c[0] && strspn(c, "0123456789.-+e×x% ") == strlen(c);
        fputs(num ? "<td class=\"r\">" : "<td>", d->html);
        html_text(d->html, c);
        fputs("</td>", d->html);
    }
    fputs("\n", d->md);
    fputs("</tr>\n", d->html);
}

void rp_doc_table_end(rp_doc *d)
{
    fputs("\n", d->md);
    fputs("</tbody>\n</table>\n", d->html);
    d->ncols = 0;
}

void rp_doc_figure(rp_doc *d, const char *img, const char *link, const char *alt, const char *caption)
{
    fputs("![", d->md);
    md_text(d->md, alt, 0);
    fprintf(d->md, "](%s)\n\n", img);
    if (caption && caption[0]) {
        fputs("*", d->md);
        md_text(d->md, caption, 0);
        fputs("*", d->md);
        if (link) fprintf(d->md, " ([SVG](%s))", link);
        fputs("\n\n", d->md);
    }
    fputs("<figure>", d->html);
    if (link) {
        fputs("<a href=\"", d->html);
        html_attr(d->html, link);
        fputs("\">", d->html);
    }
    fputs("<img src=\"", d->html);
    html_attr(d->html, img);
    fputs("\" alt=\"", d->html);
    html_attr(d->html, alt);
    fputs("\" loading=\"lazy\">", d->html);
    if (link) fputs("</a>", d->html);
    if (caption && caption[0]) {
        fputs("<figcaption>", d->html);
        html_text(d->html, caption);
        fputs("</figcaption>", d->html);
    }
    fputs("</figure>\n", d->html);
}

void rp_doc_html(rp_doc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(d->html, fmt, ap);
    va_end(ap);
}

void rp_doc_figures(rp_doc *d, const ob_report_summary *s, const char *section)
{
    for (size_t i = 0; i < s->n_figures; i++) {
        const ob_report_figure *f = &s->figures[i];
        if (strcmp(f->section, section) != 0) continue;
        if (!f->ok) {
            rp_doc_para(d, "Figure `%s` is missing: %s", f->name, f->error[0] ? f->error : "not rendered");
            continue;
        }
        char png[300], svg[300];
        snprintf(png, sizeof png, "figures/%s.png", f->name);
        snprintf(svg, sizeof svg, "figures/%s.svg", f->name);
        rp_doc_figure(d, png, svg, f->name, f->caption);
    }
}
