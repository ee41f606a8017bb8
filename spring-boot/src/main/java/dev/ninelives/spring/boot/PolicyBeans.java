package dev.ninelives.spring.boot;

import dev.ninelives.reactor.registry.NineLivesProperties;
import dev.ninelives.reactor.registry.NineLivesRegistry;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.AutowireCandidateQualifier;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.BeanDefinitionRegistryPostProcessor;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.core.ResolvableType;
import org.springframework.core.env.Environment;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Registers one bean per policy the {@code ninelives.*} keys name, created from the registry
 * bean when first needed: bean name {@code <policy name><Type>}, qualifier {@code <policy name>}.
 *
 * <p>The names are known before any bean exists only from the keys, so they are read here from
 * a registry loaded from the keys alone (no customizer beans yet); the beans themselves are the
 * real registry's policies. Keys that do not load register nothing: the
 * {@code nineLivesProperties} bean then fails the start with the loader's message.
 *
 * <p>The kinds of policy are the registry's own: every public accessor of {@link NineLivesRegistry}
 * that lists the policies of a kind ({@code breakers()}, {@code retries()}, ... a no-argument
 * method returning {@code Map<String, P>}). So a kind added to the registry gets its beans
 * without a change here. A bean name the application defined already is left to it.
 */
final class PolicyBeans implements BeanDefinitionRegistryPostProcessor {

    private final Environment environment;

    PolicyBeans(Environment environment) {
        this.environment = environment;
    }

    /** The registry's listings, one per kind, in a stable order. */
    static List<Method> listings() {
        List<Method> listings = new ArrayList<>();
        for (Method m : NineLivesRegistry.class.getMethods()) {
            if (!Modifier.isStatic(m.getModifiers()) && m.getParameterCount() == 0 && m.getReturnType() == Map.class
                    && valueType(m) != null) {
                listings.add(m);
            }
        }
        listings.sort(Comparator.comparing(Method::getName));
        return listings;
    }

    /** The policy type of a listing, {@code P} in {@code Map<String, P>}; null if it is not one. */
    static Class<?> valueType(Method listing) {
        Type t = listing.getGenericReturnType();
        if (t instanceof ParameterizedType p && p.getActualTypeArguments()[1] instanceof Class<?> c) {
            return c;
        }
        return null;
    }

    /** Lists every policy of a registry, by kind. */
    static Map<String, ?> list(NineLivesRegistry registry, Method listing) {
        try {
            return (Map<String, ?>) listing.invoke(registry);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Cannot list the policies of the registry with " + listing.getName() + "()", e);
        }
    }

    @Override
    public void postProcessBeanDefinitionRegistry(BeanDefinitionRegistry beans) {
        NineLivesRegistry declared;
        try {
            declared = NineLivesProperties.load(EnvironmentKeys.collect(environment)).registry();
        } catch (IllegalArgumentException badKeys) {
            return;                                        // the nineLivesProperties bean reports them
        }
        BeanFactory factory = (BeanFactory) beans;
        for (Method listing : listings()) {
            Class<?> type = valueType(listing);
            for (String name : list(declared, listing).keySet()) {
                String beanName = name + type.getSimpleName();
                if (beans.containsBeanDefinition(beanName)) {
                    continue;                              // the application's own bean
                }
                RootBeanDefinition def = new RootBeanDefinition();
                def.setTargetType(ResolvableType.forClass(type));
                def.setBeanClass(type);
                def.setInstanceSupplier(() -> lookup(factory.getBean(NineLivesRegistry.class), listing, name));
                def.addQualifier(new AutowireCandidateQualifier(Qualifier.class, name));
                def.setLazyInit(true);                     // a user's registry may lack it: fail only where injected
                def.setDescription("NineLives " + type.getSimpleName() + " '" + name + "' of the nineLivesRegistry bean");
                beans.registerBeanDefinition(beanName, def);
            }
        }
    }

    private static Object lookup(NineLivesRegistry registry, Method listing, String name) {
        Object policy = list(registry, listing).get(name);
        if (policy == null) {
            throw new IllegalStateException("The NineLives registry holds no " + valueType(listing).getSimpleName()
                    + " named '" + name + "', which the ninelives.* keys name; is the NineLivesRegistry bean the application's own?");
        }
        return policy;
    }

    @Override
    public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) {
        // nothing: the definitions are all registered above
    }
}
