using LoadDriver;

// The benchmark load driver (issue 6): see bench/LoadDriver/README.md.
if (args is ["--help"] or ["-h"])
{
    Console.Out.WriteLine(OptionParser.Usage);
    return 0;
}
if (args.Contains("--self-test"))
{
    return args.Length == 1 ? SelfTest.Run(Console.Out) : Usage("--self-test takes no other option.");
}

DriverOptions options;
try
{
    options = OptionParser.Parse(args);
}
catch (UsageException exception)
{
    return Usage(exception.Message);
}
return await Runner.RunAsync(options, Console.Error);

static int Usage(string message)
{
    Console.Error.WriteLine(message);
    Console.Error.WriteLine();
    Console.Error.WriteLine(OptionParser.Usage);
    return 2;
}
