using System.Diagnostics;

namespace Tessera.ChatTemplates.Tests;

/// <summary>
/// Random mutations of the real templates (characters deleted, inserted, spans duplicated) must either render
/// or fail with a TemplateException, and each must finish quickly: no crash, hang or escape.
/// </summary>
public sealed class FuzzTests
{
    private const int MutantsPerTemplate = 300;
    private static readonly TimeSpan PerCaseBudget = TimeSpan.FromSeconds(5);
    private const string Alphabet = "{}%#-+|.,:()[]'\"~=<>*/ \n_abcxyz0123456789";

    public static TheoryData<string> Templates()
    {
        var data = new TheoryData<string>();
        foreach (var name in Fixtures.TemplateNames()) data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void MutatedTemplatesFailCleanly(string template)
    {
        var source = Fixtures.TemplateSource(template);
        var variables = Fixtures.Variables(template, "05_tools");
        var random = new Random(template.GetHashCode(StringComparison.Ordinal) ^ 12345);
        var stopwatch = new Stopwatch();
        for (var i = 0; i < MutantsPerTemplate; i++)
        {
            var mutant = Mutate(source, random, random.Next(1, 4));
            stopwatch.Restart();
            try
            {
                ChatTemplate.Parse(mutant).Render(variables, Fixtures.Options);
            }
            catch (TemplateException)
            {
                // expected for most mutants
            }
            catch (Exception e)
            {
                Assert.Fail($"mutant {i} of {template} threw {e.GetType().Name}: {e.Message}\n--- template ---\n{mutant}");
            }
            Assert.True(stopwatch.Elapsed < PerCaseBudget, $"mutant {i} of {template} took {stopwatch.Elapsed}");
        }
    }

    private static string Mutate(string source, Random random, int mutations)
    {
        var text = source;
        for (var m = 0; m < mutations && text.Length > 0; m++)
        {
            var at = random.Next(text.Length);
            switch (random.Next(3))
            {
                case 0:
                    text = text.Remove(at, Math.Min(random.Next(1, 4), text.Length - at));
                    break;
                case 1:
                    text = text.Insert(at, Alphabet[random.Next(Alphabet.Length)].ToString());
                    break;
                default:
                    var length = Math.Min(random.Next(1, 40), text.Length - at);
                    text = text.Insert(random.Next(text.Length), text.Substring(at, length));
                    break;
            }
        }
        return text;
    }
}
