package io.metarec.config;

import java.io.Serializable;

/**
 * The recommend job ({@code recommend.*}; see {@code conf/metarec.conf}).
 *
 * @param model model folder to recommend with ({@code recommend.model})
 * @param out output folder of the top-N lists ({@code recommend.out})
 * @param top list length N, {@code >= 1} ({@code recommend.top})
 * @param candidates score only the M most popular items; 0 = every item ({@code recommend.candidates})
 * @param history most recent interactions of a user adapted on; 0 = all ({@code recommend.history})
 * @param partitions partitions of the users; 0 = 3 x the default parallelism
 */
public record RecommendConfig(String model, String out, int top, int candidates, int history,
    int partitions) implements Serializable {

  public RecommendConfig {
    Checks.intAtLeast("recommend.top", top, 1);
    Checks.intAtLeast("recommend.candidates", candidates, 0);
    Checks.intAtLeast("recommend.history", history, 0);
    Checks.intAtLeast("recommend.partitions", partitions, 0);
  }

  static RecommendConfig from(ConfigReader r) {
    return new RecommendConfig(r.getString("recommend.model"), r.getString("recommend.out"),
        r.getInt("recommend.top"), r.getInt("recommend.candidates"), r.getInt("recommend.history"),
        r.getInt("recommend.partitions"));
  }
}
