package io.metarec.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The input section's own rules: here the CSV delimiter, as --set and a config file give it. */
class InputConfigTest {

  private static String delimiterOf(String set) {
    return MetaRecConfig.load(null, List.of(set), Map.of()).input().csvDelimiter();
  }

  @Test
  void aTabDelimiterCanBeWrittenAsTabBackslashTOrATab() {
    assertEquals("\t", delimiterOf("input.csv.delimiter=tab"));
    assertEquals("\t", delimiterOf("input.csv.delimiter=TAB"));
    assertEquals("\t", delimiterOf("input.csv.delimiter=\\t"));
    // A literal tab, as a shell passes --set 'input.csv.delimiter=<TAB>': not trimmed away.
    assertEquals("\t", delimiterOf("input.csv.delimiter=\t"));
    // HOCON's own escape in a config file.
    assertEquals("\t", MetaRecConfig.fromResolved(
        com.typesafe.config.ConfigFactory.parseString("input.csv.delimiter = \"\\t\"")
            .withFallback(MetaRecConfig.defaults())).input().csvDelimiter());
    assertEquals(";", delimiterOf("input.csv.delimiter=;"));
    assertEquals("::", delimiterOf("input.csv.delimiter=::"));
  }

  @Test
  void anEmptyDelimiterOrAQuoteIsRejectedNamingTheKey() {
    ConfigValidationException empty = assertThrows(ConfigValidationException.class,
        () -> delimiterOf("input.csv.delimiter=\"\""));
    assertTrue(empty.getMessage().contains("input.csv.delimiter must not be empty"),
        empty.getMessage());
    assertTrue(empty.getMessage().contains("input.csv.delimiter=tab"), empty.getMessage());
    ConfigValidationException quote = assertThrows(ConfigValidationException.class,
        () -> delimiterOf("input.csv.delimiter=\"\\\"\""));
    assertTrue(quote.getMessage().contains("must not contain a quote"), quote.getMessage());
  }

  @Test
  void aWeightColumnIsOffByDefaultAndReadOnlyWithImplicitFeedback() {
    InputConfig plain = MetaRecConfig.load(null, List.of("input.feedback=implicit"), Map.of())
        .input();
    assertEquals("", plain.weightColumn());
    assertTrue(!plain.weighted(), "off by default");
    InputConfig weighted = MetaRecConfig.load(null, List.of("input.feedback=implicit",
        "input.columns.weight= plays "), Map.of()).input();
    assertEquals("plays", weighted.weightColumn());
    assertTrue(weighted.weighted());
    ConfigValidationException explicit = assertThrows(ConfigValidationException.class,
        () -> MetaRecConfig.load(null, List.of("input.feedback=explicit",
            "input.columns.weight=plays"), Map.of()).input());
    assertTrue(explicit.getMessage().contains("input.columns.weight"), explicit.getMessage());
    assertTrue(explicit.getMessage().contains("input.feedback = implicit"), explicit.getMessage());
  }
}
