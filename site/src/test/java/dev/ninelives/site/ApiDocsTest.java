package dev.ninelives.site;

import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The API reference of the site, as this build draws it (the javadoc plugin runs in
 * {@code process-classes}, before the tests): it exists, it documents exactly the packages the two
 * published modules export to everyone (not the ones exported to the bridge alone, not the site's
 * own code), every page of the guide links to it from its header bar, and every page of it links
 * back to the guide.
 */
class ApiDocsTest {

    static final Path API = SitePagesTest.HTML.resolve("apidocs");
    static final Path API_INDEX = API.resolve("index.html");
    static final List<Path> MODULE_INFOS = List.of(
            PublishedArtifactsTest.ROOT.resolve("operators/src/main/java/module-info.java"),
            PublishedArtifactsTest.ROOT.resolve("reactor-bridge/src/main/java/module-info.java"));
    /** {@code exports a.b;}, not {@code exports a.b to c;}. */
    static final Pattern EXPORT = Pattern.compile("^\\s*exports\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    static final Pattern API_LINK = Pattern.compile("<a href=\"(apidocs/index\\.html)\">([^<]+)</a>");

    static Set<String> exportedPackages() throws IOException {
        Set<String> out = new TreeSet<>();
        for (Path moduleInfo : MODULE_INFOS) {
            Matcher m = EXPORT.matcher(Files.readString(moduleInfo));
            while (m.find()) {
                out.add(m.group(1));
            }
        }
        return out;
    }

    @Test
    void theApiReferenceIsDrawnByThisBuild() throws IOException {
        assertThat(API_INDEX).as("javadoc index (run the build through process-classes)").isRegularFile();
        for (Path moduleInfo : MODULE_INFOS) {
            assertThat(Files.getLastModifiedTime(API_INDEX)).as("%s is older than %s", API_INDEX, moduleInfo)
                    .isGreaterThanOrEqualTo(Files.getLastModifiedTime(moduleInfo));
        }
        assertThat(Files.readString(API_INDEX)).contains("NineLives for Reactor");
    }

    @Test
    void everyPageOfTheReferenceLeadsBackToTheGuide() throws IOException {
        Pattern back = Pattern.compile("<a href=\"([^\"]*index\\.html)\">NineLives for Reactor: the guide</a>");
        List<Path> pages;
        try (var files = Files.walk(API)) {
            pages = files.filter(p -> p.toString().endsWith(".html")).sorted().toList();
        }
        assertThat(pages).as("pages of the reference").hasSizeGreaterThan(20);
        SoftAssertions soft = new SoftAssertions();
        for (Path page : pages) {
            String html = Files.readString(page);
            if (html.contains("class=\"index-redirect-page\"")) {
                continue;                                    // overview-summary.html only sends the reader to index.html
            }
            Matcher m = back.matcher(html);
            soft.assertThat(m.find()).as("%s leads back to the guide", API.relativize(page)).isTrue();
            if (m.find(0)) {
                soft.assertThat(page.resolveSibling(m.group(1)).normalize()).as("%s -> %s", API.relativize(page), m.group(1))
                        .isEqualTo(SitePagesTest.HTML.resolve("index.html"));
            }
        }
        soft.assertAll();
    }

    @Test
    void theApiReferenceDocumentsExactlyTheExportedPackages() throws IOException {
        Set<String> exported = exportedPackages();
        assertThat(exported).as("exports of the module-info files")
                .contains("dev.ninelives.breaker", "dev.ninelives.reactor", "dev.ninelives.reactor.micrometer")
                .doesNotContain("dev.ninelives.internal");
        Set<String> documented = new TreeSet<>(Files.readAllLines(API.resolve("element-list")));
        documented.removeIf(String::isBlank);
        assertThat(documented).as("packages of apidocs/element-list").isEqualTo(exported);
        SoftAssertions soft = new SoftAssertions();
        for (String pkg : exported) {
            soft.assertThat(API.resolve(pkg.replace('.', '/')).resolve("package-summary.html")).isRegularFile();
        }
        soft.assertThat(API.resolve("dev/ninelives/reactor/NineLives.html")).isRegularFile();
        soft.assertAll();
    }

    @Test
    void everyPageLinksToTheApiReference() throws IOException {
        SoftAssertions soft = new SoftAssertions();
        List<Path> pages;
        try (var files = Files.list(SitePagesTest.SOURCES)) {
            pages = files.filter(p -> p.toString().endsWith(".adoc"))
                    .filter(p -> !p.getFileName().toString().startsWith("_"))
                    .sorted()
                    .toList();
        }
        assertThat(pages).hasSizeGreaterThanOrEqualTo(9);
        for (Path page : pages) {
            Path html = SitePagesTest.htmlOf(page);
            if (!Files.isRegularFile(html)) {
                soft.fail("%s is not rendered", html.getFileName());
                continue;
            }
            Matcher link = API_LINK.matcher(Files.readString(html));
            soft.assertThat(link.find()).as("%s links to the API reference", html.getFileName()).isTrue();
            if (link.find(0)) {
                soft.assertThat(html.resolveSibling(link.group(1)).normalize()).as("%s -> %s", html.getFileName(), link.group(1))
                        .isEqualTo(API_INDEX.normalize());
                soft.assertThat(link.group(2)).as("%s: the link's words", html.getFileName()).contains("API");
            }
        }
        soft.assertAll();
    }
}
