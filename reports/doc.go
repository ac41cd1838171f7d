// Package reports turns claim results into a markdown report with plots.
//
// It works from claims.Results alone (the evidence and verdict of each
// claim, as `sgdclaims verify` stores them in DIR/results.json), never from
// the code that produced them, so a stored run can be re-rendered later.
//
// Write(dir, results, opts) produces
//
//	dir/report.md          verdict table, then per claim: checks with their
//	                       thresholds and reasons, setup, what the papers
//	                       report (package reference), measurement tables,
//	                       plots with captions, notes
//	dir/plots/<name>.png   every claims.Plot, drawn with gonum/plot
//	dir/plots/<name>.svg   the same, as vector graphics
//
// Tables are rendered by tablewriter's markdown renderer (Table); the header
// is written as given and "|" in a cell is escaped.
//
// Plots (Render, SavePlot) follow claims.Plot: a title, axis labels with
// units and a caption are required, so that a plot reads without the code.
// Measured series get the palette's colours and glyphs in order, with 95%
// error bars where the series carries interval bounds; reference series (a
// prediction, a paper's value) are dashed and black unless they name the
// colour of the series they belong to. On a log axis, points that are not
// positive cannot be drawn: they are left out and the caption says how many;
// error bars reaching below zero are cut at the bottom of the plot, and the
// caption says so too.
package reports
