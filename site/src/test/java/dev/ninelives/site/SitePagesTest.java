package dev.ninelives.site;

import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks the documentation pages as rendered by this build (the asciidoctor plugin runs in
 * {@code process-classes}, before the tests) and their sources: every page is rendered, every
 * code block is an include of a tagged region of compiled sources and shows up in the HTML,
 * every tagged region is shown somewhere, every internal link points at a page and an
 * anchor that exist, and every image, the benchmark charts drawn by this build included, is a
 * file of the rendered site. A region may also hold attribute entries (the runs of the benchmark
 * data, included by performance.adoc): the page must then use each attribute and show its value.
 */
class SitePagesTest {

    static final Path BASE = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
    static final Path SOURCES = BASE.resolve("src/docs/asciidoc");
    static final Path HTML = BASE.resolve("target/site-html");

    static final Pattern INCLUDE = Pattern.compile("^include::(.+?)\\[(.*)]\\s*$");
    static final Pattern ATTRIBUTE_REF = Pattern.compile("\\{([\\w-]+)}");
    /** A tag directive as Asciidoctor reads it: {@code []} then the end of the line or a space. */
    static final Pattern TAG_MARKER = Pattern.compile("\\b(tag|end)::([\\w-]+)\\[](?=$|\\s)", Pattern.MULTILINE);
    static final Pattern HREF = Pattern.compile("href=\"([^\"]*)\"");
    static final Pattern IMG_SRC = Pattern.compile("<img [^>]*src=\"([^\"]*)\"");
    /** An attribute entry, {@code :name: value}, as a data file's region may hold (see performance.adoc). */
    static final Pattern ATTRIBUTE_ENTRY = Pattern.compile("^:([\\w-]+):\\s*(.*)$");

    static Map<String, Path> attributes;
    static List<Path> pages;

    /** One {@code include::} directive of a page. */
    record Include(Path page, int line, String target, Path file, List<String> tags) {
    }

    @BeforeAll
    static void readPomAndPages() throws IOException {
        // The path attributes the pages use, as the asciidoctor plugin gets them from pom.xml.
        attributes = new HashMap<>();
        Matcher m = Pattern.compile("<([\\w-]+)>\\$\\{project\\.basedir}/([^<]+)</\\1>")
                .matcher(Files.readString(BASE.resolve("pom.xml")));
        while (m.find()) {
            attributes.put(m.group(1), BASE.resolve(m.group(2)));
        }
        assertThat(attributes).containsKeys("snippets", "test-snippets", "site-pom");
        try (Stream<Path> files = Files.list(SOURCES)) {
            pages = files.filter(p -> p.toString().endsWith(".adoc"))
                    .filter(p -> !p.getFileName().toString().startsWith("_"))
                    .sorted()
                    .toList();
        }
        assertThat(pages).extracting(p -> p.getFileName().toString())
                .contains("index.adoc", "getting-started.adoc", "breaker.adoc", "retry.adoc", "bulkhead.adoc",
                        "composing.adoc", "pipelines.adoc", "testing.adoc", "metrics.adoc", "performance.adoc",
                        "live-configuration.adoc", "adaptive-concurrency.adoc", "rate-limiter.adoc");
        assertThat(attributes).containsKey("test-resources");
    }

    static Path htmlOf(Path page) {
        return HTML.resolve(page.getFileName().toString().replaceFirst("\\.adoc$", ".html"));
    }

    static List<Include> includes(Path page) throws IOException {
        List<Include> result = new ArrayList<>();
        List<String> lines = Files.readAllLines(page);
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = INCLUDE.matcher(lines.get(i));
            if (!m.matches()) {
                continue;
            }
            String target = m.group(1);
            Matcher ref = ATTRIBUTE_REF.matcher(target);
            StringBuilder resolved = new StringBuilder();
            while (ref.find()) {
                Path value = attributes.get(ref.group(1));
                assertThat(value).as("%s:%d uses unknown attribute {%s}", page.getFileName(), i + 1, ref.group(1))
                        .isNotNull();
                ref.appendReplacement(resolved, Matcher.quoteReplacement(value.toString()));
            }
            ref.appendTail(resolved);
            Path file = page.getParent().resolve(resolved.toString()).normalize();
            List<String> tags = new ArrayList<>();
            for (String attr : m.group(2).split(",")) {
                String[] kv = attr.trim().split("=", 2);
                if (kv.length == 2 && (kv[0].equals("tag") || kv[0].equals("tags"))) {
                    tags.addAll(List.of(kv[1].replace("\"", "").split(";")));
                }
            }
            result.add(new Include(page, i + 1, target, file, tags));
        }
        return result;
    }

    /** The lines of region {@code tag} of {@code file}, without nested tag markers; null if there is no such region. */
    static List<String> region(Path file, String tag) throws IOException {
        List<String> out = null;
        for (String line : Files.readAllLines(file)) {
            Matcher m = TAG_MARKER.matcher(line);
            if (m.find() && m.group(2).equals(tag)) {
                if (m.group(1).equals("tag")) {
                    out = new ArrayList<>();
                    continue;
                }
                return out;
            }
            if (out != null && !TAG_MARKER.matcher(line).find()) {
                out.add(line);
            }
        }
        return null;
    }

    /** The text a reader sees in a rendered page, whitespace collapsed. */
    static String visibleText(Path html) throws IOException {
        String s = Files.readString(html)
                .replaceAll("(?s)<style.*?</style>", " ")
                .replaceAll("(?s)<script.*?</script>", " ")
                .replaceAll("<[^>]+>", "");
        Matcher m = Pattern.compile("&#(\\d+);").matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(Character.toString(Integer.parseInt(m.group(1)))));
        }
        m.appendTail(sb);
        return normalize(sb.toString().replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"")
                .replace("&#x27;", "'").replace("&amp;", "&"));
    }

    static String normalize(String s) {
        return s.replaceAll("\\s+", " ").trim();
    }

    @Test
    void everyPageIsRenderedByThisBuild() throws IOException {
        SoftAssertions soft = new SoftAssertions();
        for (Path page : pages) {
            Path html = htmlOf(page);
            soft.assertThat(html).as("rendered %s (run the build through process-classes)", page.getFileName()).exists();
            if (!Files.exists(html)) {
                continue;
            }
            soft.assertThat(Files.getLastModifiedTime(html)).as("%s is older than its source", html.getFileName())
                    .isGreaterThanOrEqualTo(Files.getLastModifiedTime(page));
            String text = Files.readString(html);
            soft.assertThat(text).as(html.getFileName().toString())
                    .contains("<h1>")
                    .doesNotContain("Unresolved directive")
                    .doesNotContain("include file not found");
        }
        soft.assertAll();
    }

    @Test
    void everyCodeBlockIsAnIncludeOfCompiledSources() throws IOException {
        SoftAssertions soft = new SoftAssertions();
        int blocks = 0;
        for (Path page : pages) {
            List<String> lines = Files.readAllLines(page);
            String open = null;
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                String where = page.getFileName() + ":" + (i + 1);
                if (open == null && (line.equals("----") || line.equals("...."))) {
                    open = line;
                    blocks++;
                    soft.assertThat(i > 0 ? lines.get(i - 1) : "").as("%s: a code block needs [source,...]", where)
                            .startsWith("[source,");
                } else if (line.equals(open)) {
                    open = null;
                } else if (open != null) {
                    soft.assertThat(line).as("%s: code in a page must be included from compiled sources", where)
                            .matches(l -> l.isBlank() || INCLUDE.matcher(l).matches(), "an include:: line");
                } else {
                    if (i == 0 || lines.get(i - 1).isBlank()) {
                        soft.assertThat(line).as("%s: an indented paragraph is a literal block", where)
                                .doesNotStartWith(" ").doesNotStartWith("\t");
                    }
                    if (line.startsWith("[source")) {
                        soft.assertThat(i + 1 < lines.size() ? lines.get(i + 1) : "")
                                .as("%s: [source] must open a ---- block", where).isEqualTo("----");
                    }
                }
            }
            soft.assertThat(open).as("%s: unclosed block", page.getFileName()).isNull();
        }
        soft.assertThat(blocks).as("code blocks in the pages").isGreaterThanOrEqualTo(7);
        soft.assertAll();
    }

    @Test
    void everyIncludeShowsAnExistingRegionInTheRenderedPage() throws IOException {
        SoftAssertions soft = new SoftAssertions();
        int regions = 0;
        for (Path page : pages) {
            String text = Files.exists(htmlOf(page)) ? visibleText(htmlOf(page)) : "";
            for (Include inc : includes(page)) {
                String where = page.getFileName() + ":" + inc.line() + " " + inc.target();
                soft.assertThat(inc.file()).as(where).isRegularFile();
                soft.assertThat(inc.tags()).as("%s: include a tagged region, not a whole file", where).isNotEmpty();
                if (!Files.isRegularFile(inc.file())) {
                    continue;
                }
                for (String tag : inc.tags()) {
                    List<String> region = region(inc.file(), tag);
                    soft.assertThat(region).as("%s: region %s (tag::%s[] ... end::%s[])", where, tag, tag, tag).isNotNull();
                    if (region == null) {
                        continue;
                    }
                    regions++;
                    soft.assertThat(region).as("%s: region %s", where, tag).anyMatch(l -> !l.isBlank());
                    String source = Files.readString(page);
                    for (String line : region) {
                        Matcher entry = ATTRIBUTE_ENTRY.matcher(line);
                        if (entry.matches()) {
                            // An attribute entry is not shown itself: the page shows its value where it uses it.
                            soft.assertThat(source).as("%s: page uses attribute %s of region %s", where, entry.group(1), tag)
                                    .contains("{" + entry.group(1) + "}");
                            soft.assertThat(text).as("%s: rendered page shows the value of %s", where, entry.group(1))
                                    .contains(normalize(entry.group(2)));
                        } else if (!line.isBlank()) {
                            soft.assertThat(text).as("%s: rendered page shows line of region %s", where, tag)
                                    .contains(normalize(line));
                        }
                    }
                }
            }
        }
        soft.assertThat(regions).as("included regions").isGreaterThanOrEqualTo(7);
        soft.assertAll();
    }

    @Test
    void everyRegionOfTheSnippetSourcesIsShownOnAPage() throws IOException {
        Map<Path, Set<String>> shown = new LinkedHashMap<>();
        for (Path page : pages) {
            for (Include inc : includes(page)) {
                shown.computeIfAbsent(inc.file(), f -> new LinkedHashSet<>()).addAll(inc.tags());
            }
        }
        assertThat(shown).containsKeys(attributes.get("snippets").resolve("GettingStartedSnippets.java"),
                attributes.get("test-snippets").resolve("GettingStartedSnippetsTest.java"),
                attributes.get("snippets").resolve("RetrySnippets.java"),
                attributes.get("test-snippets").resolve("RetrySnippetsTest.java"),
                attributes.get("snippets").resolve("BulkheadSnippets.java"),
                attributes.get("test-snippets").resolve("BulkheadSnippetsTest.java"),
                attributes.get("snippets").resolve("BreakerSnippets.java"),
                attributes.get("snippets").resolve("ComposingSnippets.java"),
                attributes.get("snippets").resolve("PipelinesSnippets.java"),
                attributes.get("test-snippets").resolve("PipelinesSnippetsTest.java"),
                attributes.get("test-resources").resolve("pipelines/quotes-plan.txt"),
                attributes.get("test-snippets").resolve("TestingSnippetsTest.java"),
                attributes.get("snippets").resolve("MetricsSnippets.java"),
                attributes.get("test-snippets").resolve("MetricsSnippetsTest.java"),
                attributes.get("site-pom"),
                BASE.resolve("src/perf").resolve(PerformanceCharts.README));
        SoftAssertions soft = new SoftAssertions();
        for (Map.Entry<Path, Set<String>> e : shown.entrySet()) {
            Set<String> declared = new LinkedHashSet<>();
            Matcher m = TAG_MARKER.matcher(Files.readString(e.getKey()));
            while (m.find()) {
                if (m.group(1).equals("tag")) {
                    declared.add(m.group(2));
                }
            }
            soft.assertThat(e.getValue()).as("regions of %s shown on some page", e.getKey().getFileName())
                    .containsAll(declared);
        }
        soft.assertAll();
    }

    @Test
    void everyInternalLinkResolvesToAPageAndAnchor() throws IOException {
        SoftAssertions soft = new SoftAssertions();
        Set<String> linkedPages = new LinkedHashSet<>();
        int links = 0;
        for (Path page : pages) {
            Path html = htmlOf(page);
            if (!Files.exists(html)) {
                soft.fail("%s is not rendered", html.getFileName());
                continue;
            }
            Matcher m = HREF.matcher(Files.readString(html));
            while (m.find()) {
                String href = m.group(1);
                if (href.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*") || href.startsWith("//")) {
                    continue;                                // external: http(s), mailto...
                }
                links++;
                int hash = href.indexOf('#');
                String file = hash < 0 ? href : href.substring(0, hash);
                String anchor = hash < 0 ? "" : href.substring(hash + 1);
                Path target = file.isEmpty() ? html : html.resolveSibling(file).normalize();
                String where = html.getFileName() + " -> " + href;
                soft.assertThat(target).as(where).isRegularFile();
                if (!Files.isRegularFile(target)) {
                    continue;
                }
                if (!file.isEmpty()) {
                    linkedPages.add(target.getFileName().toString());
                }
                if (!anchor.isEmpty()) {
                    soft.assertThat(Files.readString(target)).as("%s: anchor exists", where)
                            .contains("id=\"" + anchor + "\"");
                }
            }
        }
        soft.assertThat(links).as("internal links").isGreaterThanOrEqualTo(5);
        soft.assertThat(linkedPages).as("every page but the index is linked")
                .containsAll(pages.stream().map(p -> htmlOf(p).getFileName().toString())
                        .filter(n -> !n.equals("index.html")).toList());
        soft.assertAll();
    }

    @Test
    void everyImageOfAPageExists() throws IOException {
        SoftAssertions soft = new SoftAssertions();
        int images = 0;
        for (Path page : pages) {
            Path html = htmlOf(page);
            if (!Files.exists(html)) {
                continue;
            }
            Matcher m = IMG_SRC.matcher(Files.readString(html));
            while (m.find()) {
                images++;
                soft.assertThat(html.resolveSibling(m.group(1)).normalize()).as("%s -> %s", html.getFileName(), m.group(1))
                        .isRegularFile();
            }
        }
        soft.assertThat(images).as("images in the pages").isGreaterThanOrEqualTo(PerformanceCharts.CHARTS.size());
        soft.assertAll();
    }

    @Test
    void everyChartFileExistsAndIsShownOnThePerformancePage() throws IOException {
        String html = Files.readString(HTML.resolve("performance.html"));
        SoftAssertions soft = new SoftAssertions();
        for (String chart : PerformanceCharts.files()) {
            soft.assertThat(HTML.resolve("images/perf").resolve(chart)).as("drawn by this build").isRegularFile();
            soft.assertThat(html).as("performance.html shows %s", chart).contains("src=\"images/perf/" + chart + "\"");
        }
        soft.assertAll();
    }
}
