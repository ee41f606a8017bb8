package dev.ninelives.site;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A reader can copy a page's code and know where every name comes from: each page shows the
 * imports of its snippets, and its code calls nothing of the site's own that the page does not
 * show. For each page below, the Java regions it includes are read as one piece of code, and:
 * <ul>
 *   <li>the page shows imports: regions whose tag starts with {@code imports};</li>
 *   <li>every type the code names is imported on the page, declared in the page's code, or in
 *       {@code java.lang}; every import the page shows is used by its code (so an imports region
 *       shared by two pages nests the smaller page's region in the larger one's);</li>
 *   <li>every method the code calls without a receiver is declared in the page's code or
 *       imported statically on the page;</li>
 *   <li>every variable the code calls a method on (or reads a field of) is declared in the
 *       page's code: a field, a parameter, a local or a lambda's parameter;</li>
 *   <li>a site type ({@code dev.ninelives.site}) is used only if the page shows its declaration.</li>
 * </ul>
 * The checks read Java with regular expressions, not a parser: they are strict enough for the
 * snippets of these pages, and a false alarm is fixed by showing more of the code, never by
 * loosening them. Guards against a page whose snippet compiles in the site module but not in
 * the reader's project: a missing import, or a helper of the site that the page never shows.
 */
class SnippetsAreSelfContainedTest {

    private static final Set<String> JAVA_LANG = Set.of("AssertionError", "AutoCloseable", "Boolean", "Byte",
            "CharSequence", "Character", "Class", "Comparable", "Deprecated", "Double", "Enum", "Error", "Exception",
            "Float", "FunctionalInterface", "IllegalArgumentException", "IllegalStateException", "Integer",
            "InterruptedException", "Iterable", "Long", "Math", "NullPointerException", "Number", "Object", "Override",
            "Record", "Runnable", "RuntimeException", "SafeVarargs", "Short", "StackOverflowError", "String",
            "StringBuilder", "SuppressWarnings", "System", "Thread", "Throwable", "UnsupportedOperationException", "Void");
    private static final Set<String> KEYWORDS = Set.of("assert", "case", "catch", "do", "else", "for", "if", "instanceof",
            "new", "return", "super", "switch", "synchronized", "this", "throw", "try", "while", "yield");

    private static final Pattern IMPORT = Pattern.compile("^\\s*import\\s+(static\\s+)?([\\w.]+?)(\\.\\*)?\\s*;\\s*$");
    private static final Pattern TYPE_DECLARATION = Pattern.compile("\\b(?:class|interface|record|enum)\\s+(\\w+)");
    private static final Pattern CALL = Pattern.compile("(\\w+)\\s*\\(");
    private static final Pattern TYPE_USE = Pattern.compile("(?<![\\w.$])([A-Z]\\w*)");
    private static final Pattern RECEIVER = Pattern.compile("(?<![\\w.$:])([a-z]\\w*)\\s*\\.\\s*[a-zA-Z<]");
    private static final Pattern VARIABLE = Pattern.compile("[\\w>\\]]\\s+([a-z]\\w*)\\s*(?=[=;,):])");
    private static final Pattern LAMBDA_PARAM = Pattern.compile("(?<![\\w.])([a-z]\\w*)\\s*->");
    private static final Pattern LAMBDA_PARAMS = Pattern.compile("\\(\\s*([a-z]\\w*(?:\\s*,\\s*[a-z]\\w*)+)\\s*\\)\\s*->");
    private static final Pattern WORD = Pattern.compile("(\\w+)");

    @BeforeAll
    static void readPomAndPages() throws IOException {
        SitePagesTest.readPomAndPages();
    }

    /** What a page shows of its Java sources. */
    static final class Shown {
        final StringBuilder code = new StringBuilder();
        final List<String> imports = new ArrayList<>();
        final Set<Path> filesWithCode = new LinkedHashSet<>();
        final Set<Path> filesWithImports = new LinkedHashSet<>();
    }

    static Shown shown(Path page) throws IOException {
        Shown shown = new Shown();
        for (SitePagesTest.Include inc : SitePagesTest.includes(page)) {
            if (!inc.file().toString().endsWith(".java")) {
                continue;
            }
            for (String tag : inc.tags()) {
                List<String> region = SitePagesTest.region(inc.file(), tag);
                assertThat(region).as("%s: region %s of %s", page.getFileName(), tag, inc.file().getFileName()).isNotNull();
                if (tag.startsWith("imports")) {
                    shown.filesWithImports.add(inc.file());
                    region.stream().filter(l -> !l.isBlank()).forEach(shown.imports::add);
                } else {
                    shown.filesWithCode.add(inc.file());
                    region.forEach(l -> shown.code.append(l).append('\n'));
                }
            }
        }
        return shown;
    }

    /** Java source without its comments, string, text-block and character literals. */
    static String clean(String java) {
        return java.replaceAll("(?s)\"\"\".*?\"\"\"", "\"\"")
                .replaceAll("\"(?:\\\\.|[^\"\\\\\\n])*\"", "\"\"")
                .replaceAll("'(?:\\\\.|[^'\\\\\\n])+'", "' '")
                .replaceAll("(?s)/\\*.*?\\*/", " ")
                .replaceAll("//[^\\n]*", "");
    }

    static Set<String> all(Pattern p, String text) {
        Set<String> found = new TreeSet<>();
        Matcher m = p.matcher(text);
        while (m.find()) {
            found.add(m.group(1));
        }
        return found;
    }

    /** Methods the code declares: a name and an opening parenthesis right after a type. */
    static Set<String> declaredMethods(String code) {
        Set<String> declared = new TreeSet<>();
        Matcher m = CALL.matcher(code);
        while (m.find()) {
            String before = code.substring(0, m.start()).stripTrailing();
            if (before.length() == m.start() || before.isEmpty()) {
                continue;                                // no space between type and name: not a declaration
            }
            char last = before.charAt(before.length() - 1);
            if (before.endsWith("->") || !(Character.isLetterOrDigit(last) || last == '>' || last == ']')) {
                continue;
            }
            Matcher word = Pattern.compile("(\\w+)$").matcher(before);
            if (word.find() && KEYWORDS.contains(word.group(1))) {
                continue;
            }
            declared.add(m.group(1));
        }
        return declared;
    }

    /** Methods the code calls without a receiver. */
    static Set<String> unqualifiedCalls(String code) {
        Set<String> calls = new TreeSet<>();
        Matcher m = Pattern.compile("(?<![\\w.$:>])([a-z]\\w*)\\s*\\(").matcher(code);
        while (m.find()) {
            if (!KEYWORDS.contains(m.group(1))) {
                calls.add(m.group(1));
            }
        }
        return calls;
    }

    @ParameterizedTest
    @ValueSource(strings = {"index.adoc", "getting-started.adoc", "bulkhead.adoc", "composing.adoc", "testing.adoc",
            "metrics.adoc", "breaker.adoc", "retry.adoc", "performance.adoc", "pipelines.adoc", "live-configuration.adoc",
            "keyed-policies.adoc", "adaptive-concurrency.adoc", "rate-limiter.adoc"})
    void everySnippetShowsItsImportsAndCallsNothingThePageDoesNotShow(String name) throws IOException {
        Path page = SitePagesTest.SOURCES.resolve(name);
        Shown shown = shown(page);
        String code = clean(shown.code.toString());
        List<String> problems = new ArrayList<>();

        if (!shown.filesWithCode.isEmpty() && shown.filesWithImports.isEmpty()) {
            problems.add("shows Java code but no imports (a region whose tag starts with imports)");
        }

        Set<String> imported = new TreeSet<>();
        Set<String> staticImports = new TreeSet<>();
        Set<String> siteImports = new TreeSet<>();
        for (String line : shown.imports) {
            Matcher m = IMPORT.matcher(line);
            if (!m.matches() || m.group(3) != null) {
                problems.add("an imports region holds one import a line, no wildcard: " + line.strip());
                continue;
            }
            String simple = m.group(2).substring(m.group(2).lastIndexOf('.') + 1);
            (m.group(1) != null ? staticImports : imported).add(simple);
            if (m.group(2).startsWith("dev.ninelives.site.")) {
                siteImports.add(simple);
            }
        }

        Set<String> declaredTypes = all(TYPE_DECLARATION, code);
        Set<String> words = all(WORD, code);
        for (String type : all(TYPE_USE, code)) {
            if (type.chars().anyMatch(Character::isLowerCase) && !JAVA_LANG.contains(type)
                    && !declaredTypes.contains(type) && !imported.contains(type)) {
                problems.add("type " + type + " is neither imported on the page nor declared in its code");
            }
        }
        for (String simple : imported) {
            if (!words.contains(simple)) {
                problems.add("shows import " + simple + ", which its code does not use");
            }
        }
        for (String simple : staticImports) {
            if (!words.contains(simple)) {
                problems.add("shows static import " + simple + ", which its code does not use");
            }
        }
        for (String site : siteImports) {
            if (!declaredTypes.contains(site)) {
                problems.add("imports the site's " + site + " without showing its declaration");
            }
        }

        Set<String> declaredMethods = declaredMethods(code);
        for (String call : unqualifiedCalls(code)) {
            if (!declaredMethods.contains(call) && !staticImports.contains(call)) {
                problems.add(call + "(...) is called, but the page neither declares it nor imports it statically");
            }
        }

        Set<String> variables = all(VARIABLE, code);
        variables.addAll(all(LAMBDA_PARAM, code));
        for (String params : all(LAMBDA_PARAMS, code)) {
            for (String p : params.split(",")) {
                variables.add(p.trim());
            }
        }
        for (String receiver : all(RECEIVER, code)) {
            if (!KEYWORDS.contains(receiver) && !variables.contains(receiver)) {
                problems.add(receiver + " is used, but the page's code does not declare it");
            }
        }
        assertThat(problems).as("what %s leaves the reader to guess", name).isEmpty();
    }
}
