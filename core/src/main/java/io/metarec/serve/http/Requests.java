package io.metarec.serve.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metarec.config.ServeConfig;
import io.metarec.model.Feedback;
import io.metarec.serve.History;
import io.metarec.serve.MetaRecModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The request bodies of the endpoint, read and checked: every problem is a 400 naming the field,
 * what is allowed and what was sent.
 */
final class Requests {
  static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private static final Set<String> RECOMMEND_FIELDS = Set.of("history", "user_features", "n",
      "exclude_seen", "exclude", "candidates");
  private static final Set<String> SCORE_FIELDS = Set.of("history", "user_features", "items");
  private static final Set<String> INTERACTION_FIELDS = Set.of("item", "rating", "count",
      "timestamp");

  private Requests() {}

  /**
   * A {@code POST /recommend} body.
   *
   * @param history the user's history
   * @param n list length
   * @param excludeSeen leave out the history's items
   * @param exclude further ids to leave out, or null
   * @param candidates the ids to rank, or null for the catalog
   */
  record Recommend(History history, int n, boolean excludeSeen, List<String> exclude,
      List<String> candidates) {}

  /**
   * A {@code POST /score} body.
   *
   * @param history the user's history
   * @param items the ids to score
   */
  record Score(History history, List<String> items) {}

  static Recommend recommend(byte[] body, MetaRecModel model, ServeConfig cfg) {
    JsonNode root = object(body, RECOMMEND_FIELDS);
    int n = cfg.defaultN();
    JsonNode nNode = root.get("n");
    if (nNode != null) {
      if (!nNode.isIntegralNumber() || !nNode.canConvertToInt() || nNode.intValue() < 1
          || nNode.intValue() > cfg.maxN()) {
        throw bad("\"n\" must be an integer in [1, " + cfg.maxN() + "] (serve.maxN), got "
            + nNode);
      }
      n = nNode.intValue();
    }
    boolean excludeSeen = true;
    JsonNode ex = root.get("exclude_seen");
    if (ex != null) {
      if (!ex.isBoolean()) {
        throw bad("\"exclude_seen\" must be true or false, got " + ex);
      }
      excludeSeen = ex.booleanValue();
    }
    return new Recommend(history(root, model, cfg), n, excludeSeen,
        ids(root, "exclude", Integer.MAX_VALUE), ids(root, "candidates", Integer.MAX_VALUE));
  }

  static Score score(byte[] body, MetaRecModel model, ServeConfig cfg) {
    JsonNode root = object(body, SCORE_FIELDS);
    List<String> items = ids(root, "items", cfg.maxN());
    if (items == null) {
      throw bad("missing field \"items\": the item ids to score, e.g. {\"history\": [...], "
          + "\"items\": [\"i1\", \"i2\"]}");
    }
    return new Score(history(root, model, cfg), items);
  }

  /** The body as a JSON object with only {@code allowed} fields. */
  private static JsonNode object(byte[] body, Set<String> allowed) {
    JsonNode root;
    try {
      root = MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw bad("malformed JSON: " + e.getOriginalMessage() + " (line "
          + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
    } catch (IOException e) {
      throw bad("unreadable body: " + e.getMessage());
    }
    if (root == null || root.isMissingNode()) {
      throw bad("the body is empty: send a JSON object");
    }
    if (!root.isObject()) {
      throw bad("the body must be a JSON object, got " + kind(root));
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!allowed.contains(f)) {
        throw bad("unknown field \"" + f + "\"; the fields are " + new java.util.TreeSet<>(allowed));
      }
    }
    return root;
  }

  private static History history(JsonNode root, MetaRecModel model, ServeConfig cfg) {
    JsonNode h = root.get("history");
    if (h == null) {
      throw bad("missing field \"history\": the user's interactions, oldest first, e.g. "
          + "[{\"item\": \"i1\", \"rating\": 4}] ([] for a user without any)");
    }
    if (!h.isArray()) {
      throw bad("\"history\" must be an array of interactions, got " + kind(h));
    }
    if (h.size() > cfg.maxHistory()) {
      throw bad("\"history\" has " + h.size() + " interactions, more than " + cfg.maxHistory()
          + " (serve.maxHistory)");
    }
    boolean explicit = model.feedback() == Feedback.EXPLICIT;
    List<History.Interaction> in = new ArrayList<>(h.size());
    long[] times = null;
    for (int k = 0; k < h.size(); k++) {
      JsonNode e = h.get(k);
      String at = "history[" + k + "]";
      if (!e.isObject()) {
        throw bad(at + " must be an object {\"item\": ..., \"rating\": ...}, got " + kind(e));
      }
      for (Iterator<String> it = e.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!INTERACTION_FIELDS.contains(f)) {
          throw bad(at + " has an unknown field \"" + f + "\"; the fields are item, rating, "
              + "count, timestamp");
        }
      }
      String item = id(e.get("item"), at + ".item");
      float label = 1f;
      float count = 1f;
      JsonNode r = e.get("rating");
      if (explicit) {
        if (r == null) {
          throw bad(at + " has no \"rating\": the model learned from ratings in ["
              + model.labelMin() + ", " + model.labelMax() + "]");
        }
        if (!r.isNumber() || !Double.isFinite(r.doubleValue()) || r.doubleValue() < model.labelMin()
            || r.doubleValue() > model.labelMax()) {
          throw bad(at + ".rating must be a number in [" + model.labelMin() + ", "
              + model.labelMax() + "], got " + r);
        }
        label = r.floatValue();
      } else if (r != null && !r.isNumber()) {
        throw bad(at + ".rating must be a number (it is not read: the model learned from events), "
            + "got " + r);
      }
      JsonNode c = e.get("count");
      if (c != null) {
        if (explicit) {
          throw bad(at + " has a \"count\": counts weigh the events of an implicit-feedback model; "
              + "this model learned from ratings");
        }
        if (!c.isNumber() || !Double.isFinite(c.doubleValue()) || !(c.doubleValue() > 0)) {
          throw bad(at + ".count must be a number > 0 (the event's count, as in "
              + "input.columns.weight), got " + c);
        }
        count = c.floatValue();
        if (!(count > 0) || !Float.isFinite(count)) {
          throw bad(at + ".count must be a number > 0 within float range, got " + c);
        }
      }
      JsonNode ts = e.get("timestamp");
      if (ts != null && !ts.isIntegralNumber()) {
        throw bad(at + ".timestamp must be an integer (epoch seconds), got " + ts);
      }
      if (k == 0 && ts != null) {
        times = new long[h.size()];
      }
      if ((times != null) != (ts != null)) {
        throw bad(at + (ts == null ? " has no" : " has a") + " \"timestamp\" where history[0]"
            + (ts == null ? " has one" : " has none") + ": give every interaction one, or none");
      }
      if (times != null) {
        times[k] = ts.longValue();
      }
      in.add(new History.Interaction(item, label, count));
    }
    if (times != null) {
      // The order of metarec recommend: by time; equal times keep the request's order.
      Integer[] order = new Integer[in.size()];
      for (int k = 0; k < order.length; k++) {
        order[k] = k;
      }
      long[] t = times;
      java.util.Arrays.sort(order, (a, b) -> Long.compare(t[a], t[b]));
      List<History.Interaction> sorted = new ArrayList<>(in.size());
      for (int k : order) {
        sorted.add(in.get(k));
      }
      in = sorted;
    }
    return new History(in, userFeatures(root, model));
  }

  private static Map<String, List<String>> userFeatures(JsonNode root, MetaRecModel model) {
    JsonNode f = root.get("user_features");
    if (f == null) {
      return Map.of();
    }
    if (!f.isObject()) {
      throw bad("\"user_features\" must be an object {\"field\": \"value\" or [values]}, got "
          + kind(f));
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = f.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!model.userFieldNames().contains(e.getKey())) {
        throw bad("user_features has the field \"" + e.getKey() + "\" the model does not have "
            + "(its user fields: " + model.userFieldNames() + ")");
      }
      String at = "user_features." + e.getKey();
      List<String> values = new ArrayList<>();
      if (e.getValue().isArray()) {
        for (int k = 0; k < e.getValue().size(); k++) {
          values.add(id(e.getValue().get(k), at + "[" + k + "]"));
        }
      } else {
        values.add(id(e.getValue(), at));
      }
      out.put(e.getKey(), values);
    }
    return out;
  }

  /** An optional array of ids, at most {@code max}; null when absent. */
  private static List<String> ids(JsonNode root, String field, int max) {
    JsonNode a = root.get(field);
    if (a == null) {
      return null;
    }
    if (!a.isArray()) {
      throw bad("\"" + field + "\" must be an array of item ids, got " + kind(a));
    }
    if (a.size() > max) {
      throw bad("\"" + field + "\" has " + a.size() + " ids, more than " + max + " (serve.maxN)");
    }
    List<String> out = new ArrayList<>(a.size());
    for (int k = 0; k < a.size(); k++) {
      out.add(id(a.get(k), field + "[" + k + "]"));
    }
    return out;
  }

  /** An id: a string, or an integer written as a number (ids of numeric data sets). */
  private static String id(JsonNode v, String at) {
    if (v == null || v.isNull()) {
      throw bad(at + " is missing: an id is a string");
    }
    if (v.isTextual()) {
      return v.textValue();
    }
    if (v.isIntegralNumber()) {
      return v.asText();
    }
    throw bad(at + " must be a string id, got " + kind(v) + " " + v);
  }

  private static String kind(JsonNode n) {
    return switch (n.getNodeType()) {
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      default -> n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }

  static ApiException bad(String message) {
    return new ApiException(400, message);
  }
}
