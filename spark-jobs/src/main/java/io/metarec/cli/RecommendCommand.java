package io.metarec.cli;

import io.metarec.config.MetaRecConfig;
import io.metarec.jobs.recommend.RecommendJob;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code metarec recommend}: top-N lists adapted to each user's recent history. */
@Command(name = "recommend", mixinStandardHelpOptions = true,
    description = "Adapt the model to each user's recent interactions (same input formats as "
        + "build-tasks; a user with no known interaction gets the meta-initialization's "
        + "non-personalized list), score the candidate items, exclude items the user already has, "
        + "and write the top N as Parquet (user_id, rank, item_id, score) to OUT/recommendations "
        + "atomically, with OUT/summary.json and rejected rows in OUT/rejects.")
final class RecommendCommand extends JobCommand {
  @Option(names = "--model", paramLabel = "DIR", required = true,
      description = "Model folder (recommend.model).")
  String model;

  @Option(names = "--input", paramLabel = "PATH", required = true,
      description = "The users' interactions: file or folder (input.path).")
  String input;

  @Option(names = "--format", paramLabel = "FORMAT",
      description = "parquet|csv|json|movielens (input.format, default parquet).")
  String format;

  @Option(names = "--user-features", paramLabel = "PATH",
      description = "User feature table (input.userFeatures.path).")
  String userFeatures;

  @Option(names = "--out", paramLabel = "DIR", required = true,
      description = "Output folder, replaced atomically (recommend.out).")
  String out;

  @Option(names = "--top", paramLabel = "N", description = "List length (recommend.top, default 10).")
  Integer top;

  @Override
  Map<String, Object> options() {
    return opts("recommend.model", model, "input.path", input, "input.format", format,
        "input.userFeatures.path", userFeatures, "recommend.out", out, "recommend.top", top);
  }

  @Override
  void run(SparkSession spark, MetaRecConfig cfg) {
    RecommendJob.Result r = RecommendJob.run(spark, cfg);
    System.out.printf(Locale.ROOT,
        "recommend: %d users (%d without known history), %d unknown-item interactions ignored, "
            + "%d rows rejected, %.0f users/s, %.1f s -> %s/recommendations%n",
        r.users(), r.coldUsers(), r.unknownItems(), r.rejected(), r.usersPerSecond(),
        r.wallSeconds(), r.out());
  }

  @Override
  String name() {
    return "recommend";
  }
}
