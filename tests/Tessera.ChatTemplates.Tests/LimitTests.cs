namespace Tessera.ChatTemplates.Tests;

/// <summary>Every safety limit stops a hostile template with a TemplateException that names it.</summary>
public sealed class LimitTests
{
    private static void AssertLimit(string template, string limitName, TemplateOptions? options = null)
    {
        var error = Assert.Throws<TemplateException>(() =>
            ChatTemplate.Parse(template).Render(new Dictionary<string, object?>(), options));
        Assert.Equal(TemplateErrorKind.Limit, error.Kind);
        Assert.Contains(limitName, error.Message);
    }

    [Fact]
    public void NestedRangesHitTheStepLimit() =>
        AssertLimit("{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}{% endfor %}{% endfor %}{% endfor %}", "MaxSteps");

    [Fact]
    public void ExponentialMacroCallsHitTheStepLimit() =>
        AssertLimit("{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}", "MaxSteps");

    [Fact]
    public void MaterialisingAHugeRangeHitsTheStepLimit() =>
        AssertLimit("{{ range(1000000000000)|list|length }}", "MaxSteps");

    [Fact]
    public void ScanningLargeDataInALoopIsChargedBySize()
    {
        var big = Enumerable.Range(0, 1_000_000).Select(i => (object?)i).ToList();
        var error = Assert.Throws<TemplateException>(() => ChatTemplate.Parse("{% for i in range(1000) %}{% if -5 in big %}{% endif %}{% endfor %}")
            .Render(new Dictionary<string, object?> { ["big"] = big }));
        Assert.Contains("MaxSteps", error.Message);
        AssertLimit("{% set s = 'x' * 16000000 %}{% for i in range(1000000) %}{{ s.find('y') }}{% endfor %}", "MaxSteps");
        AssertLimit("{% set s = 'ab' * 8000000 %}{% for i in range(1000) %}{% set x = s.replace('a', 'b') %}{% endfor %}", "MaxSteps");
    }

    [Fact]
    public void LongConversationsFitTheBudget()
    {
        var messages = Enumerable.Range(0, 5000).Select(i => (object?)new Dictionary<string, object?>
        {
            ["role"] = i % 2 == 0 ? "user" : "assistant",
            ["content"] = new string('x', 500) + i,
        }).ToList();
        foreach (var template in Fixtures.TemplateNames())
        {
            var variables = Fixtures.Variables(template, "01_single_user");
            variables["messages"] = messages;
            var text = ChatTemplate.Parse(Fixtures.TemplateSource(template)).Render(variables, Fixtures.Options);
            Assert.True(text.Length > 5000 * 500, template);
        }
    }

    [Fact]
    public void RangesWithExtremeBoundsCannotOverflowTheStepCounter() =>
        AssertLimit("{{ range(-9223372036854775807, 9223372036854775807)|list }}", "MaxSteps");

    [Fact]
    public void RepeatingEmptySequencesIsCheap()
    {
        Assert.Equal("|[]", Render.Text("{{ '' * 1000000000000 }}|{{ [] * 1000000000000 }}"));
    }

    [Fact]
    public void HugeOutputHitsTheOutputLimit() =>
        AssertLimit("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}", "MaxOutputLength");

    [Fact]
    public void HugeStringsHitTheOutputLimit() =>
        AssertLimit("{% set s = 'x' * 1000000000000 %}", "MaxOutputLength");

    [Fact]
    public void DoublingAStringHitsTheOutputLimit() =>
        AssertLimit("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", "MaxOutputLength");

    [Fact]
    public void TighterOptionsApply() =>
        AssertLimit("{{ 'x' * 101 }}", "MaxOutputLength", new TemplateOptions { MaxOutputLength = 100 });

    [Fact]
    public void OptionsCannotLoosenTheLimits() =>
        AssertLimit("{% for i in range(2000000) %}{% endfor %}", "MaxSteps", new TemplateOptions { MaxSteps = long.MaxValue });

    [Fact]
    public void InfiniteMacroRecursionHitsTheDepthLimit() =>
        AssertLimit("{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}", "MaxDepth");

    [Fact]
    public void DeeplyNestedSourceHitsTheDepthLimit()
    {
        AssertLimit("{{ " + new string('(', 200) + "1" + new string(')', 200) + " }}", "MaxDepth");
        AssertLimit(string.Concat(Enumerable.Repeat("{% if true %}", 100)) + string.Concat(Enumerable.Repeat("{% endif %}", 100)), "MaxDepth");
        AssertLimit("{{ " + string.Concat(Enumerable.Repeat("not ", 500)) + "1 }}", "MaxDepth");
    }

    [Fact]
    public void SelfContainingListsHitTheDepthLimitWhenPrinted() =>
        AssertLimit("{% set a = [] %}{% set _ = a.append(a) %}{{ a }}", "MaxDepth");

    [Fact]
    public void OversizedTemplatesAreRejected() =>
        AssertLimit(new string('x', TemplateLimits.MaxTemplateLength + 1), "MaxTemplateLength");
}
