using System.Globalization;
using System.Text;

namespace Tessera.ChatTemplates.Library;

/// <summary>C strftime directives as Python on Linux supports them (including glibc's %-d), English names.</summary>
internal static class Strftime
{
    public static string Format(DateTime time, string format)
    {
        var sb = new StringBuilder();
        var culture = CultureInfo.InvariantCulture;
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                sb.Append(format[i]);
                continue;
            }
            var noPad = format[i + 1] == '-' && i + 2 < format.Length;
            if (noPad) i++;
            while (i + 2 < format.Length && char.IsAsciiDigit(format[i + 1])) i++; // glibc field widths: ignored
            var directive = format[++i];
            string Number(int value, int width) => noPad ? value.ToString(culture) : value.ToString(new string('0', width), culture);
            sb.Append(directive switch
            {
                'Y' => time.Year.ToString(culture),
                'y' => Number(time.Year % 100, 2),
                'm' => Number(time.Month, 2),
                'd' => Number(time.Day, 2),
                'e' => time.Day.ToString(culture).PadLeft(2),
                'H' => Number(time.Hour, 2),
                'I' => Number(time.Hour % 12 == 0 ? 12 : time.Hour % 12, 2),
                'M' => Number(time.Minute, 2),
                'S' => Number(time.Second, 2),
                'f' => (time.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", culture),
                'j' => Number(time.DayOfYear, 3),
                'p' => time.Hour < 12 ? "AM" : "PM",
                'B' => culture.DateTimeFormat.GetMonthName(time.Month),
                'b' or 'h' => culture.DateTimeFormat.GetAbbreviatedMonthName(time.Month),
                'A' => culture.DateTimeFormat.GetDayName(time.DayOfWeek),
                'a' => culture.DateTimeFormat.GetAbbreviatedDayName(time.DayOfWeek),
                'w' => ((int)time.DayOfWeek).ToString(culture),
                'u' => (time.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)time.DayOfWeek).ToString(culture),
                'F' => time.ToString("yyyy-MM-dd", culture),
                'D' => time.ToString("MM/dd/yy", culture),
                'T' => time.ToString("HH:mm:ss", culture),
                'R' => time.ToString("HH:mm", culture),
                'c' => time.ToString("ddd MMM ", culture) + time.Day.ToString(culture).PadLeft(2) + time.ToString(" HH:mm:ss yyyy", culture),
                'x' => time.ToString("MM/dd/yy", culture),
                'X' => time.ToString("HH:mm:ss", culture),
                'z' or 'Z' => "",
                'n' => "\n",
                't' => "\t",
                '%' => "%",
                _ => "%" + (noPad ? "-" : "") + directive,
            });
        }
        return sb.ToString();
    }
}
