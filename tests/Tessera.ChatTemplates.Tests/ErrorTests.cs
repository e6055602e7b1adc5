namespace Tessera.ChatTemplates.Tests;

/// <summary>Bad templates fail with a TemplateException that says what and where.</summary>
public sealed class ErrorTests
{
    [Theory]
    [InlineData("{{ 1 + }}", 1, 8)]
    [InlineData("line one\n{% if %}", 2, 7)]
    [InlineData("{% endif %}", 1, 4)]
    [InlineData("ok\n\n  {{ 'abc }}", 3, 6)]
    [InlineData("{# never closed", 1, 1)]
    [InlineData("{{ x", 1, 1)]
    [InlineData("{% for x in xs %}body", 1, 22)]
    [InlineData("{% frobnicate %}", 1, 4)]
    [InlineData("{{ a $ b }}", 1, 6)]
    [InlineData("{% include 'other.jinja' %}", 1, 4)]
    public void SyntaxErrorsCarryLineAndColumn(string template, int line, int column)
    {
        var error = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(template));
        Assert.Equal(TemplateErrorKind.Syntax, error.Kind);
        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.Contains($"line {line}, column {column}", error.Message);
    }

    [Theory]
    [InlineData("{{ x|nosuch }}", "No filter named 'nosuch'")]
    [InlineData("{% for a in b %}{{ a is nosuch }}{% endfor %}", "No test named 'nosuch'")]
    [InlineData("{% filter nosuch %}{% endfilter %}", "No filter named 'nosuch'")]
    public void UnknownFiltersAndTestsFailAtParse(string template, string message)
    {
        var error = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(template));
        Assert.Equal(TemplateErrorKind.Syntax, error.Kind);
        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("{% if false %}{{ x|nosuch }}{% endif %}")]
    [InlineData("{{ x|nosuch if false }}")]
    public void UnknownFiltersInUntakenBranchesAreAllowedLikeJinja(string template)
    {
        Assert.Equal("", Render.Text(template));
    }

    [Theory]
    [InlineData("a\n{{ 'a' + 1 }}", "can only concatenate str")]
    [InlineData("{{ x + 1 }}", "'x' is undefined")]
    [InlineData("{{ 1 / 0 }}", "division by zero")]
    [InlineData("{{ undefined_fn() }}", "'undefined_fn' is undefined")]
    [InlineData("{{ 'x' in none }}", "not iterable")]
    [InlineData("{% for a, b in [1] %}{% endfor %}", "cannot unpack")]
    [InlineData("{{ 1(2) }}", "not callable")]
    [InlineData("{{ 9223372036854775807 + 1 }}", "overflow")]
    public void RuntimeErrorsNameTheProblem(string template, string message)
    {
        var error = Render.Error(template);
        Assert.Equal(TemplateErrorKind.Runtime, error.Kind);
        Assert.Contains(message, error.Message);
        Assert.True(error.Line > 0);
    }

    [Fact]
    public void StrictUndefinedAccessFailsLikeJinja()
    {
        var strict = new TemplateOptions { StrictUndefinedAccess = true };
        var error = Assert.Throws<TemplateException>(() => Render.WithOptions("{{ missing.x }}", strict));
        Assert.Contains("'missing' is undefined", error.Message);
        Assert.Contains("has no attribute", Assert.Throws<TemplateException>(() => Render.WithOptions("{{ d.a.b }}", strict, ("d", new Dictionary<string, object?>()))).Message);
        Assert.Equal("False", Render.WithOptions("{{ d.a is defined }}", strict, ("d", new Dictionary<string, object?>())));
    }

    [Fact]
    public void RuntimeErrorsPointAtTheFailingExpression()
    {
        var error = Render.Error("ok\n  {{ 'a' + 1 }}");
        Assert.Equal(2, error.Line);
    }

    [Fact]
    public void RaiseExceptionMessageIsExact()
    {
        var error = Render.Error("line\n{{ raise_exception('Roles must alternate') }}");
        Assert.Equal(TemplateErrorKind.Raised, error.Kind);
        Assert.Equal("Roles must alternate", error.Message);
        Assert.Equal(2, error.Line);
    }
}
