package dev.ninelives.site;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a user consumes from Maven Central, read from the poms of this checkout: every module that
 * is deployed ships a sources and a javadoc jar, and {@code ninelives-bom} manages exactly those
 * modules, at the version of the build. The BOM has no parent (so that an import brings no other
 * library's version) and therefore spells its version itself: this is what keeps the two equal.
 */
class PublishedArtifactsTest {

    static final Path ROOT = SitePagesTest.BASE.getParent();

    static Element root;
    /** Each module's folder and its pom's root element, in the order of the parent's modules. */
    static Map<String, Element> modules;

    static Element read(Path pom) throws ParserConfigurationException, IOException, SAXException {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document doc = factory.newDocumentBuilder().parse(pom.toFile());
        return doc.getDocumentElement();
    }

    /** The direct children of {@code parent} named {@code name}. */
    static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                out.add(e);
            }
        }
        return out;
    }

    /** The text of the child reached by {@code path} (tag names), or null if there is none. */
    static String text(Element from, String... path) {
        Element e = from;
        for (String name : path) {
            List<Element> next = children(e, name);
            if (next.isEmpty()) {
                return null;
            }
            e = next.get(0);
        }
        return e.getTextContent().trim();
    }

    static Element only(Element from, String name) {
        List<Element> found = children(from, name);
        assertThat(found).as("<%s> in <%s>", name, from.getTagName()).hasSize(1);
        return found.get(0);
    }

    static boolean deployed(Element pom) {
        return !"pom".equals(text(pom, "packaging")) && !"true".equals(text(pom, "properties", "maven.deploy.skip"));
    }

    static Set<String> pluginsOf(Element pom) {
        Set<String> out = new TreeSet<>();
        List<Element> build = children(pom, "build");
        if (build.isEmpty() || children(build.get(0), "plugins").isEmpty()) {
            return out;
        }
        for (Element plugin : children(only(build.get(0), "plugins"), "plugin")) {
            out.add(text(plugin, "artifactId"));
        }
        return out;
    }

    @BeforeAll
    static void readThePoms() throws Exception {
        root = read(ROOT.resolve("pom.xml"));
        modules = new LinkedHashMap<>();
        for (Element module : children(only(root, "modules"), "module")) {
            String folder = module.getTextContent().trim();
            modules.put(folder, read(ROOT.resolve(folder).resolve("pom.xml")));
        }
        assertThat(modules).containsKeys("bom", "operators", "reactor-bridge", "site", "jmh");
    }

    @Test
    void everyDeployedModuleShipsSourcesAndJavadoc() {
        modules.forEach((folder, pom) -> {
            if (deployed(pom)) {
                assertThat(pluginsOf(pom)).as("plugins of %s", folder)
                        .contains("maven-source-plugin", "maven-javadoc-plugin");
            }
        });
    }

    @Test
    void theBomManagesEveryDeployedModuleAtTheBuildsVersion() {
        Element bom = modules.get("bom");
        assertThat(text(bom, "artifactId")).isEqualTo("ninelives-bom");
        assertThat(text(bom, "packaging")).isEqualTo("pom");
        assertThat(children(bom, "parent")).as("the BOM has no parent, whose dependencyManagement an import would bring").isEmpty();
        assertThat(text(bom, "groupId")).isEqualTo(text(root, "groupId"));
        assertThat(text(bom, "version")).as("the BOM's version").isEqualTo(text(root, "version"));

        Set<String> managed = new TreeSet<>();
        for (Element dep : children(only(only(bom, "dependencyManagement"), "dependencies"), "dependency")) {
            assertThat(text(dep, "groupId")).isEqualTo(text(root, "groupId"));
            assertThat(text(dep, "version")).as("version of %s", text(dep, "artifactId")).isEqualTo("${project.version}");
            assertThat(text(dep, "scope")).as("scope of %s", text(dep, "artifactId")).isNull();
            managed.add(text(dep, "artifactId"));
        }
        Set<String> deployed = new TreeSet<>();
        modules.values().stream().filter(PublishedArtifactsTest::deployed).forEach(pom -> deployed.add(text(pom, "artifactId")));
        assertThat(deployed).as("deployed jars").contains("ninelives-operators", "ninelives-reactor")
                .doesNotContain("ninelives-site", "ninelives-jmh");
        assertThat(managed).as("the BOM's modules").isEqualTo(deployed);
    }
}
