namespace Tessera.ChatTemplates.Tests;

/// <summary>Each public chat template renders each conversation exactly as Python's Jinja does.</summary>
public sealed class FixtureTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var (template, conversation) in Fixtures.Cases()) data.Add(template, conversation);
        return data;
    }

    [Fact]
    public void FixturesArePresent()
    {
        Assert.True(Fixtures.Cases().Count() >= 50, "expected the visible chat-template fixtures");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RendersLikeJinja(string template, string conversation)
    {
        var parsed = ChatTemplate.Parse(Fixtures.TemplateSource(template));
        var variables = Fixtures.Variables(template, conversation);
        var errorPath = Fixtures.ExpectedPath(template, conversation, error: true);
        if (File.Exists(errorPath))
        {
            var error = Assert.Throws<TemplateException>(() => parsed.Render(variables, Fixtures.Options));
            Assert.Equal(TemplateErrorKind.Raised, error.Kind);
            Assert.Equal(File.ReadAllText(errorPath), error.Message);
            return;
        }
        var expected = File.ReadAllText(Fixtures.ExpectedPath(template, conversation, error: false));
        Assert.Equal(expected, parsed.Render(variables, Fixtures.Options));
        Assert.Equal(expected, parsed.Render(variables, Fixtures.Options with { StrictUndefinedAccess = true }));
    }
}
