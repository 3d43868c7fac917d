package io.metarec.cli;

import io.metarec.config.ConfigValidationException;
import io.metarec.spark.JobFailedException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code metarec} command line. Exit codes: 0 success, 1 the job failed (message on stderr),
 * 2 bad usage or configuration (the key and what is allowed on stderr).
 */
@Command(name = "metarec", mixinStandardHelpOptions = true,
    versionProvider = MetaRecCli.Version.class,
    description = "MetaRec: meta-learned cold-start recommenders on Apache Spark.",
    subcommands = {
      GenerateCommand.class,
      BuildTasksCommand.class,
      TrainCommand.class,
      EvaluateCommand.class,
      RecommendCommand.class,
      PretrainCommand.class,
      PipelineCommand.class,
      NightlyCommand.class,
      ServeCommand.class,
      UpgradeModelCommand.class,
      BenchKernelCommand.class,
      BenchEngineCommand.class,
      BenchServeCommand.class,
      ConfigCommand.class,
      CommandLine.HelpCommand.class
    })
public final class MetaRecCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
  }

  /** Builds the command line with MetaRec's error handling. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new MetaRecCli());
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      PrintWriter err = cmd.getErr();
      String name = cmd.getCommandName();
      if (ex instanceof ConfigValidationException) {
        err.println("metarec " + name + ": configuration error: " + ex.getMessage());
        return 2;
      }
      if (ex instanceof JobFailedException) {
        err.println("metarec " + name + " failed: " + ex.getMessage());
        return 1;
      }
      err.println("metarec " + name + " failed: " + ex);
      ex.printStackTrace(err);
      return 1;
    });
    return cl;
  }

  /** Entry point; {@code main} only parses arguments. */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** Version from the jar's build properties. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws Exception {
      Properties p = new Properties();
      try (InputStream in = MetaRecCli.class.getResourceAsStream("/io/metarec/version.properties")) {
        if (in != null) {
          p.load(in);
        }
      }
      return new String[] {"metarec " + p.getProperty("version", "unknown")};
    }
  }
}
