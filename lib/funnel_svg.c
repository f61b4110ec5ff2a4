/*
 * funnel_svg.c - the funnel as a standalone SVG 1.1 picture (funnel_svg()
 * in funnel.h): per funnel a column of bands, one per stage that is not
 * lost, each as wide as the share of leads that reached it and narrowing
 * to the next, with the stage's name on the left and its counts and
 * conversion on the right; lost stages and "other" as bars below; won,
 * lost and win rate at the bottom.
 */
#include <stdio.h>
#include <string.h>

#include "funnel.h"

#define PANEL_W  700
#define LABEL_W  160 /* stage names, right-aligned */
#define FUNNEL_W 260 /* the widest band */
#define BAND_H   42
#define BAND_GAP 6
#define BAR_H    22
#define MARGIN   20
#define TITLE_H  48
#define GROUP_H  28

static const char *colour(int grp)
{
	switch (grp) {
	case GRP_ACTIVE:
		return "#4c78a8";
	case GRP_WON:
		return "#54a24b";
	case GRP_LOST:
		return "#e45756";
	default:
		return "#9d9d9d";
	}
}

static void text(struct sb *out, double x, double y, const char *anchor, int size,
                 const char *weight, const char *fill, const char *s)
{
	sb_addf(out,
	        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\" "
	        "font-weight=\"%s\" fill=\"%s\">",
	        x, y, anchor, size, weight, fill);
	sb_add_xml(out, s);
	sb_adds(out, "</text>\n");
}

static void pct(char *buf, size_t n, bool ok, double v)
{
	if (ok)
		snprintf(buf, n, "%.1f%%", v * 100);
	else
		snprintf(buf, n, "-");
}

static size_t count_bands(const struct funnel *f, size_t *nbars)
{
	size_t bands = 0;
	*nbars = 0;
	for (size_t i = 0; i < f->nrows; i++) {
		if (f->rows[i].grp == GRP_ACTIVE || f->rows[i].grp == GRP_WON)
			bands++;
		else
			(*nbars)++;
	}
	return bands;
}

static double panel_height(const struct funnel *f, bool grouped)
{
	size_t nbars;
	size_t bands = count_bands(f, &nbars);
	double h = (grouped ? GROUP_H : 0) + (double)bands * (BAND_H + BAND_GAP);
	if (nbars)
		h += 24 + (double)nbars * (BAR_H + BAND_GAP);
	return h + 40;
}

static double band_width(int64_t n, int64_t top)
{
	if (n <= 0 || top <= 0)
		return 0;
	double w = FUNNEL_W * (double)n / (double)top;
	return w < 2 ? 2 : w;
}

static void panel(struct sb *out, const struct funnel *f, double x0, double y0, bool grouped,
                  const char *by_label)
{
	double y = y0;
	char buf[160], p1[32], p2[32];
	if (grouped) {
		text(out, x0, y + 16, "start", 15, "bold", "#222", by_label);
		y += GROUP_H;
	}
	double cx = x0 + LABEL_W + 10 + FUNNEL_W / 2.0;
	/* the bands: stages that are not lost, narrowing to the next one */
	for (size_t i = 0; i < f->nrows; i++) {
		const struct funnel_row *r = &f->rows[i];
		if (r->grp != GRP_ACTIVE && r->grp != GRP_WON)
			continue;
		double w = band_width(r->reached, f->leads);
		double wn = w * 0.85;
		for (size_t j = i + 1; j < f->nrows; j++)
			if (f->rows[j].grp == GRP_ACTIVE || f->rows[j].grp == GRP_WON) {
				wn = band_width(f->rows[j].reached, f->leads);
				break;
			}
		if (w > 0)
			sb_addf(out,
			        "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\" "
			        "fill=\"%s\" fill-opacity=\"0.9\"/>\n",
			        cx - w / 2, y, cx + w / 2, y, cx + wn / 2, y + BAND_H, cx - wn / 2,
			        y + BAND_H, colour(r->grp));
		else
			sb_addf(out,
			        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			        "stroke=\"#bbb\" stroke-dasharray=\"3,3\"/>\n",
			        cx - FUNNEL_W / 2.0, y + BAND_H / 2.0, cx + FUNNEL_W / 2.0,
			        y + BAND_H / 2.0);
		text(out, x0 + LABEL_W, y + BAND_H / 2.0 + 5, "end", 13, "bold", "#222", r->name);
		double v;
		bool ok = funnel_conv_top(f, i, &v);
		pct(p1, sizeof p1, ok, v);
		snprintf(buf, sizeof buf, "%lld reached (%s) \u00b7 %lld now",
		         (long long)r->reached, p1, (long long)r->current);
		double tx = x0 + LABEL_W + 20 + FUNNEL_W;
		text(out, tx, y + 17, "start", 12, "normal", "#222", buf);
		ok = funnel_conv_prev(f, i, &v);
		pct(p2, sizeof p2, ok, v);
		snprintf(buf, sizeof buf, "%s from the previous stage", p2);
		if (ok || r->prev < 0)
			text(out, tx, y + 33, "start", 11, "normal", "#666",
			     ok ? buf : "top of the funnel");
		y += BAND_H + BAND_GAP;
	}
	/* lost stages and "other": bars from the left edge of the funnel */
	size_t nbars;
	count_bands(f, &nbars);
	if (nbars) {
		y += 8;
		text(out, x0 + LABEL_W, y + 8, "end", 11, "normal", "#666", "out of the funnel");
		y += 16;
	}
	double left = cx - FUNNEL_W / 2.0;
	for (size_t i = 0; i < f->nrows; i++) {
		const struct funnel_row *r = &f->rows[i];
		if (r->grp == GRP_ACTIVE || r->grp == GRP_WON)
			continue;
		int64_t n = r->reached >= 0 ? r->reached : r->current;
		double w = band_width(n, f->leads);
		sb_addf(out,
		        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\" "
		        "fill-opacity=\"0.9\"/>\n",
		        left, y, w, BAR_H, colour(r->grp));
		text(out, x0 + LABEL_W, y + BAR_H / 2.0 + 5, "end", 13, "bold", "#222", r->name);
		double v;
		bool ok = funnel_conv_top(f, i, &v);
		pct(p1, sizeof p1, ok, v);
		if (r->grp == GRP_LOST)
			snprintf(buf, sizeof buf, "%lld lost here (%s) \u00b7 %lld now",
			         (long long)r->reached, p1, (long long)r->current);
		else
			snprintf(buf, sizeof buf, "%lld in stages no longer configured",
			         (long long)r->current);
		text(out, left + w + 8, y + BAR_H / 2.0 + 4, "start", 12, "normal", "#222", buf);
		y += BAR_H + BAND_GAP;
	}
	double wr;
	bool ok = funnel_win_rate(f, &wr);
	pct(p1, sizeof p1, ok, wr);
	snprintf(buf, sizeof buf, "%lld lead%s \u00b7 %lld won \u00b7 %lld lost \u00b7 win rate %s",
	         (long long)f->leads, f->leads == 1 ? "" : "s", (long long)f->won,
	         (long long)f->lost, p1);
	text(out, x0 + LABEL_W + 10, y + 22, "start", 13, "bold", "#222", buf);
}

void funnel_svg(const struct funnel_set *s, const char *title, struct sb *out)
{
	bool grouped = s->n > 1 || (s->n == 1 && s->v[0].group);
	double h = 0;
	for (size_t i = 0; i < s->n; i++) {
		double ph = panel_height(&s->v[i], grouped);
		if (ph > h)
			h = ph;
	}
	size_t ncol = s->n ? s->n : 1;
	double width = 2 * MARGIN + (double)ncol * PANEL_W;
	double height = 2 * MARGIN + TITLE_H + h;
	sb_adds(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	sb_addf(out,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" "
	        "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Helvetica, "
	        "Arial, sans-serif\">\n",
	        width, height, width, height);
	sb_adds(out, "<title>");
	sb_add_xml(out, title);
	sb_adds(out, "</title>\n");
	sb_addf(out, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n",
	        width, height);
	text(out, MARGIN, MARGIN + 22, "start", 18, "bold", "#222", title);
	if (!s->n)
		text(out, MARGIN, MARGIN + TITLE_H + 20, "start", 13, "normal", "#666", "no leads");
	for (size_t i = 0; i < s->n; i++) {
		const struct funnel *f = &s->v[i];
		panel(out, f, MARGIN + (double)i * PANEL_W, MARGIN + TITLE_H, grouped,
		      f->group ? f->group : "(none)");
	}
	sb_adds(out, "</svg>\n");
}
