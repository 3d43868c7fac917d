package io.metarec.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A model's training history ({@code metrics.csv}): column names and numeric rows, NaN where a
 * cell is empty (iterations without validation).
 *
 * @param model the model's name
 * @param columns the header
 * @param rows one array per line, one value per column
 */
public record TrainingCurve(String model, List<String> columns, List<double[]> rows) {

  /** Parses a metrics.csv text: a header line, then numbers; empty cells are NaN. */
  public static TrainingCurve parseCsv(String model, String csv) {
    String[] lines = csv.strip().split("\r?\n");
    List<String> columns = List.of(lines[0].split(",", -1));
    List<double[]> rows = new ArrayList<>();
    for (int l = 1; l < lines.length; l++) {
      if (lines[l].isBlank()) {
        continue;
      }
      String[] cells = lines[l].split(",", -1);
      double[] row = new double[columns.size()];
      for (int c = 0; c < row.length; c++) {
        String cell = c < cells.length ? cells[c].trim() : "";
        try {
          row[c] = cell.isEmpty() ? Double.NaN : Double.parseDouble(cell);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("metrics.csv of " + model + ", line " + (l + 1)
              + ", column " + columns.get(c) + ": not a number: '" + cell + "'", e);
        }
      }
      rows.add(row);
    }
    return new TrainingCurve(model, columns, rows);
  }

  /** @return the values of one column, or null if absent */
  public double[] column(String name) {
    int c = columns.indexOf(name);
    if (c < 0) {
      return null;
    }
    return rows.stream().mapToDouble(r -> r[c]).toArray();
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof TrainingCurve t) || !t.model.equals(model) || !t.columns.equals(columns)
        || t.rows.size() != rows.size()) {
      return false;
    }
    for (int i = 0; i < rows.size(); i++) {
      if (!Arrays.equals(rows.get(i), t.rows.get(i))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return model.hashCode() * 31 + columns.hashCode();
  }
}
