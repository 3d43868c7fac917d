package io.metarec.input;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import java.io.IOException;

/**
 * The one rule of a JSON-lines log that Spark's JSON reader does not check: a line is exactly one
 * JSON object. Spark parses the first value of a line and ignores what follows it, so
 * {@code {"a":1}}} and {@code {"a":1} {"a":2}} pass as one row, and a top-level array becomes
 * several rows.
 */
final class JsonLines {
  /** Spark's JSON defaults: single quotes and NaN/Infinity are allowed, comments are not. */
  private static final JsonFactory FACTORY = JsonFactory.builder()
      .enable(JsonReadFeature.ALLOW_SINGLE_QUOTES)
      .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .build();

  private JsonLines() {}

  /** True when {@code line} is one JSON object and nothing else but white space. */
  static boolean isOneObject(String line) {
    if (line == null) {
      return false;
    }
    try (JsonParser p = FACTORY.createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return false;
      }
      p.skipChildren();
      return p.nextToken() == null;
    } catch (IOException e) {
      return false;
    }
  }
}
